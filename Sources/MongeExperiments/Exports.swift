@_exported import MongeBridges
