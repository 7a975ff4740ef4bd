@_exported import MongeBridges
@_exported import MongeEvaluation
