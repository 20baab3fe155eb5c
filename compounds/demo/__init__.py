"""A believable demo district, built by `python manage.py load_demo`.

Deterministic from the seed and idempotent: everything is keyed by natural keys
(subdistrict and community by name, grid by community + name, compound by
community + name, building by compound + number, dwelling by building + unit + number).
A compound that already exists is left exactly as it is, so a second run creates
nothing and changes nothing. The geography is drawn from `random.Random(seed)`;
each compound draws its buildings and dwellings from its own generator seeded with
the seed and the compound's natural key, so a compound looks the same whatever
else is in the run (and an existing one can be skipped without drawing it).

Areas are Decimals built from integer cents, never from floats.
"""


from compounds.demo.builder import load_demo
from compounds.demo.data import DEMO_PASSWORD
from compounds.demo.summary import demo_logins, write_summary

__all__ = ["DEMO_PASSWORD", "demo_logins", "load_demo", "write_summary"]
