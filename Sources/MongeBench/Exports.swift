// MongeBench: the benchmark harnesses' shared parts (clocks, medians, process memory, the PyTorch
// peer process, throughput tables). The `monge bench` commands parse arguments and call these.
@_exported import MongeCore
