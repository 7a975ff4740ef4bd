/// MongeNN: small networks with hand-written backprop on the Eigen kernels.
@_exported import MongeCore
