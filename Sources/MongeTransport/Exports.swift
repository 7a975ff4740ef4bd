/// MongeTransport: exact and entropic optimal transport with optimality certificates.
@_exported import MongeCore
