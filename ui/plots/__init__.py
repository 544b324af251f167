"""Live plot widgets of the workbench (pyqtgraph): cycling, temperature, Nyquist, Bode, fit residuals,
and their export to PNG/SVG. `buffer` is pure numpy."""
