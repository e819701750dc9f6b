"""Reads of the communities app, one module per sub-domain:

- pages.py: the public rules page, the landing page's search, the pages' cache stamp
- finder.py: the house-number finder
- gate_advice.py: what a rider should do at one gate (the gate page and its poster)
- site_map.py: geometry on the site map the finder and the advice share
"""
