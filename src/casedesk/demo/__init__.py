"""The demo tenant (`casedesk demo`): wiring, on the top floor, since it fills every app."""
