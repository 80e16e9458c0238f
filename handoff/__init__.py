"""Human handoff: tickets, duty status, callbacks, notes, canned replies and the audit log.

State lives in the project database (settings.database_url) so that the action server,
several Rasa instances and several console instances share it.
"""
