"""Pages of 双报到、双服务, split by sub-domain: ``communities`` (landing, community pages),
``registrations``, ``demands`` (the demand list, projects and claims), ``wishes``, ``whistles``,
``hours``, ``members`` (members' records, certificates, units). Thin: fetch through a scoped
selector, validate a form, call one service; "may this user…" is asked of ``volunteers.perms``.
"""
