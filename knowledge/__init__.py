"""Knowledge base of Quartierslotse: municipalities, offices, catchment areas and hours.

Public entry points: `knowledge.bootstrap.ensure_database`, `knowledge.queries` (read API for
actions and other packages), `knowledge.cli.main`. Nothing here imports actions/, channels/
or advisor/.
"""
