"""Customer satisfaction surveys: a survey mailed after a case is resolved, its rating."""
