import MongeNN

/// A time-dependent domain classifier as EGSDE's realism expert uses it: the features F(y, t)
/// of a batch and the pull-back of a feature gradient to the input, ∇_y Σ_i g_i(F(y_i, t)).
/// The 2-D MLP classifier (`TimeClassifier`) and the image one (`TimeConvClassifier`) conform.
public protocol RealismFeatures<Scalar>: Sendable {
    associatedtype Scalar: NetworkScalar
    /// The length of an input row (D, or C·H·W for images).
    var dimension: Int { get }
    /// The noise schedule of the noisy samples the classifier was trained on.
    var schedule: NoiseSchedule { get }
    /// The image shape of the rows for a classifier of images (nil for points).
    var imageShape: ImageShape? { get }
    /// F(y_i, t) for every row of `y`.
    func features(_ y: Matrix<Scalar>, timestep t: Int) -> Matrix<Scalar>
    /// Σ_i J_F(y_i)ᵀ ∂g_i/∂F: `featureGradient(i, F(y_i), dF)` writes ∂g_i/∂F into the zeroed
    /// `dF` (one row of features; called once per row, from any thread).
    func featurePullback(_ y: Matrix<Scalar>, timestep t: Int,
                         featureGradient: (_ row: Int, _ features: UnsafeBufferPointer<Scalar>, _ dF: UnsafeMutableBufferPointer<Scalar>) -> Void)
        -> Matrix<Scalar>
}

extension RealismFeatures {
    public var imageShape: ImageShape? { nil }
}

extension TimeClassifier: RealismFeatures {
    public typealias Scalar = S

    public func features(_ y: Matrix<S>, timestep t: Int) -> Matrix<S> { forward(y, timestep: t).features }

    public func featurePullback(_ y: Matrix<S>, timestep t: Int,
                                featureGradient: (Int, UnsafeBufferPointer<S>, UnsafeMutableBufferPointer<S>) -> Void) -> Matrix<S> {
        let pass = forward(y, timestep: t)
        let w = pass.features.columns
        var dF = [S](repeating: 0, count: y.rows * w)
        pass.features.storage.withUnsafeBufferPointer { f in
            dF.withUnsafeMutableBufferPointer { d in
                for i in 0..<y.rows {
                    featureGradient(i, UnsafeBufferPointer(rebasing: f[(i * w)..<((i + 1) * w)]),
                                    UnsafeMutableBufferPointer(rebasing: d[(i * w)..<((i + 1) * w)]))
                }
            }
        }
        return network.inputGradient(pass, logitGradient: nil, featureGradient: try! Matrix(rows: y.rows, columns: w, storage: dF),
                                     parameters: parameters)
    }
}

/// A time-dependent convolutional domain classifier with its weights and noise schedule, in any
/// precision (Float to guide sampling, Double for gradient checks): EGSDE's realism expert on images.
public struct TimeConvClassifier<S: NetworkScalar>: RealismFeatures {
    public typealias Scalar = S
    public let network: ConvClassifier<S>
    public let parameters: [S]
    public let schedule: NoiseSchedule

    public init(network: ConvClassifier<S>, parameters: [S], schedule: NoiseSchedule) throws {
        guard network.config.isTimeDependent else {
            throw MongeError.invalidArgument(name: "classifier", message: "was trained on clean images; EGSDE needs a time-dependent classifier (trained with a noise schedule)")
        }
        guard parameters.count == network.parameterCount else {
            throw MongeError.shapeMismatch("the classifier has \(network.parameterCount) parameters, got \(parameters.count)")
        }
        guard network.timesteps == schedule.count else {
            throw MongeError.shapeMismatch("the classifier embeds \(network.timesteps) timesteps, the schedule has \(schedule.count)")
        }
        self.network = network
        self.parameters = parameters
        self.schedule = schedule
    }

    public var dimension: Int { network.dimension }
    public var image: ImageShape { network.config.image }
    public var imageShape: ImageShape? { network.config.image }

    public func features(_ y: Matrix<S>, timestep t: Int) -> Matrix<S> {
        network.evaluate(y, timestep: t, parameters: parameters).features
    }

    /// The logits (N × classes; for a domain classifier class 1 is B) of the rows of `y` at timestep t.
    public func logits(_ y: Matrix<S>, timestep t: Int) -> Matrix<S> {
        network.evaluate(y, timestep: t, parameters: parameters).logits
    }

    public func featurePullback(_ y: Matrix<S>, timestep t: Int,
                                featureGradient: (Int, UnsafeBufferPointer<S>, UnsafeMutableBufferPointer<S>) -> Void) -> Matrix<S> {
        let f = network.config.features
        return network.inputGradient(y, timestep: t, parameters: parameters) { row, _, features, _, dF in
            featureGradient(row, UnsafeBufferPointer(start: features, count: f), UnsafeMutableBufferPointer(start: dF, count: f))
        }
    }

    /// ∇_y of Σ_i (logit_B − logit_A)(y_i, t), the classifier's log-odds of B (classifier guidance).
    public func logOddsGradient(_ y: Matrix<S>, timestep t: Int) -> Matrix<S> {
        precondition(network.config.classes == 2, "log-odds need a 2-class classifier")
        return network.inputGradient(y, timestep: t, parameters: parameters) { _, _, _, dLogits, _ in
            dLogits[0] = -1
            dLogits[1] = 1
        }
    }

    /// The same classifier computing in another precision.
    public func converted<T: NetworkScalar>(to _: T.Type) throws -> TimeConvClassifier<T> {
        try TimeConvClassifier<T>(network: ConvClassifier<T>(config: network.config, timesteps: network.timesteps),
                                  parameters: parameters.map { T(Double($0)) }, schedule: schedule)
    }
}

extension TrainedConvClassifier {
    /// This classifier as EGSDE's realism expert; throws when it was trained on clean images.
    public func realismExpert() throws -> TimeConvClassifier<Float> {
        guard let schedule else {
            throw MongeError.invalidArgument(name: "classifier", message: "was trained on clean images; EGSDE needs a time-dependent classifier (trained with a noise schedule)")
        }
        return try TimeConvClassifier(network: network, parameters: parameters, schedule: schedule)
    }
}
