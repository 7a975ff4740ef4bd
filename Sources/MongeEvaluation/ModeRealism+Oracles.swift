import MongeDiffusion

extension ModeRealism.Modes {
    /// The modes of an oracle model with them (oracle:gaussians8, oracle:gaussians25), read
    /// from the oracle's own mixture; nil for any other model.
    public init?(model spec: ModelSpec) throws {
        guard let schedule = spec.schedule else { return nil }
        switch spec.source {
        case let .gaussians8(radius, std):
            self.init(centres: try Oracles.gaussians8(radius: radius, std: std, schedule: schedule, as: Double.self).means, std: std)
        case let .gaussians25(std, spacing):
            self.init(centres: try Oracles.gaussians25(std: std, spacing: spacing, schedule: schedule, as: Double.self).means, std: std)
        default:
            return nil
        }
    }
}
