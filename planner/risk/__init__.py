"""Winter risk: how likely a plan is to survive, by seeded Monte Carlo replay of sampled disruptions.

The package: ``model`` (the risk file's models and their checks against a scenario), ``sampling``
(a risk model laid out as Bernoulli trials over the trip; one timeline per sample, seeded by
``(seed, index)`` alone; exact enumeration for small fixed models), ``replay`` (one sample under
the ``replan`` or ``follow`` policy) and ``report`` (expected coverage with intervals, fragile legs
and cities, the worst samples as what-if files), ``runner`` (the samples here or in a local process
pool, with the same results either way) and ``command`` (`planner risk`). The package itself imports
nothing, so the command line stays light until a command runs.
"""
