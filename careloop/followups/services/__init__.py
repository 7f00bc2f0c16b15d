"""Writes of careloop.followups, one module per concern:

* ``planning`` — encounters and the follow-up series they start (and the bulk import path);
* ``tasks`` — the one task constructor, reassignment, misses, call attempts;
* ``records`` — signed records, addenda, and what a problem found on a call starts;
* ``escalations`` — serious problems, expert consultation, tracking;
* ``rules`` — administrators' rule changes and re-planning of pending tasks;
* ``lifecycle`` — what a client's status, tier or consent change does to the follow-up work.

Import from the module; this package re-exports nothing.
"""
