"""The floor: the fastest a Django JSON view can be on this machine with this gunicorn
set-up. Every portal figure is reported as a ratio to it."""
