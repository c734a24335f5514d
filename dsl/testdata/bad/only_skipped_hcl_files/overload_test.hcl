# a rule test, not a rule
