"""The SLA set-up pages: policies and the SLA settings, business-hours calendars with their
holidays, escalation rules. Managers read them; admins change them; agents get a 403."""
