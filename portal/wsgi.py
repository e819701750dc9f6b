import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")
site = get_wsgi_application()  # sets Django up before the machine handler is built

from portal.machine import EntranceDispatcher, MachineWSGIHandler  # noqa: E402

# Gate controllers' signed requests take the short middleware stack (portal/machine.py).
application = EntranceDispatcher(site=site, machine=MachineWSGIHandler())
