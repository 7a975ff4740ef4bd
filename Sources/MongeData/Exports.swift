/// MongeData: 2-D distributions as pure functions of (n, seed, parameters).
@_exported import MongeCore
