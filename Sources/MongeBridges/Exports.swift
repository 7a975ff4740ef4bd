/// MongeBridges: DDIB translation, its comparison with exact OT, baselines and experiments.
@_exported import MongeCore
