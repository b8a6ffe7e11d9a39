"""The top floor's operations: a new tenant's provisioning, the worker and its schedule.

Everything here puts the domain apps together, so it may import any of them; no app imports
this package."""
