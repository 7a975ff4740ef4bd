/// MongePlot: figures through gnuplot: scatter plots, transport maps, curves.
@_exported import MongeCore
