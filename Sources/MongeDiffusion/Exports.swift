/// MongeDiffusion: noise schedules, denoisers and the one sampler core.
@_exported import MongeCore
