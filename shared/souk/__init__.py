"""Souk's shared Lambda layer: HTTP plumbing, auth, data access and business rules."""

from souk import coldstart

# First of our modules in every function: no garbage collection while the function
# imports, in Lambda only (souk.coldstart); the handler factories resume it.
coldstart.init_started()
