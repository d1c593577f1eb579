"""Robustness: bad input, hostile input on every method, extreme numerics.

- ``test_bad_input``: each kind of bad input gets a clear error, and a failed
  call leaves the model exactly as it was;
- ``test_hostile``: every public method of every solver under hostile input,
  with the whole state checked bit for bit after each failure;
- ``test_extreme``: extreme scales, shapes and weights for every solver; the
  outputs stay finite and the user is warned where they must act.
"""
