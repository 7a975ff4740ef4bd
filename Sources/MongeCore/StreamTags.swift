/// The registry of random stream tags: every root stream with a purpose of its own is
/// `RandomStream(seed: s, stream: StreamTag.x)` with its tag here, and every named substream label
/// of the default stream is in `StreamTag.Label`, so that two purposes never draw the same numbers
/// by accident (`StreamTag.all` and `StreamTag.Label.all` are tested for distinct values).
///
/// The values spell the purpose in ASCII and are the ones first chosen, so every pinned result
/// keeps its bits. Streams derived by `substream` from a caller's stream (a sampler's step noise,
/// a training step's draws) are numbered where they are drawn, below one of these roots.
public enum StreamTag {
    /// Diffusion training batches: data index, timestep, noise, dropout, flips ("TRAIN").
    public static let diffusionTraining: UInt64 = 0x5452_4149_4E
    /// The fixed held-out denoising loss: timesteps and noise ("HELDOUT").
    public static let heldOutLoss: UInt64 = 0x4845_4C44_4F55_54
    /// Time-dependent classifier training batches ("CLASS").
    public static let classifierTraining: UInt64 = 0x434C_4153_53
    /// The noise of a classifier's accuracy at a timestep ("ACCU").
    public static let classifierAccuracy: UInt64 = 0x4143_4355
    /// The image classifier's epoch permutations ("CONVEP").
    public static let convClassifierEpochs: UInt64 = 0x434F_4E56_4550
    /// The image classifier's per-step draws: flips, timesteps, noise ("CONVDR").
    public static let convClassifierDraws: UInt64 = 0x434F_4E56_4452
    /// Network parameter initialisation ("NNINIT").
    public static let networkInitialisation: UInt64 = 0x4E4E_494E_4954
    /// Diffusion-GAN's parameter initialisation ("INIT").
    public static let ganInitialisation: UInt64 = 0x494E_4954
    /// Diffusion-GAN's per-step draws ("DGAN").
    public static let ganTraining: UInt64 = 0x4447_414E
    /// Diffusion-GAN's generator latents when sampling ("GSAMPL").
    public static let ganSamples: UInt64 = 0x4753_414D_504C
    /// MUNIT's parameter initialisation ("MUNIT").
    public static let munitInitialisation: UInt64 = 0x4D55_4E49_54
    /// MUNIT's per-step draws ("MUNITT").
    public static let munitTraining: UInt64 = 0x4D55_4E49_5454
    /// MUNIT's evaluation style codes ("MUNITE").
    public static let munitEvaluation: UInt64 = 0x4D55_4E49_5445
    /// `monge munit` translation style codes ("STYLE").
    public static let munitStyles: UInt64 = 0x5354_594C_45
    /// Flow-matching training steps ("FLOW").
    public static let flowTraining: UInt64 = 0x464C_4F57
    /// TorchCFM's datasets as TorchCFM draws them ("TCFM").
    public static let torchCFMData: UInt64 = 0x5443_464D
    /// Sliced Wasserstein's random directions.
    public static let slicedWasserstein: UInt64 = 0x5_11CE
    /// The digits reproduction's sampler noise ("SAMP").
    public static let digitsSampling: UInt64 = 0x5341_4D50
    /// The image reproduction's SDEdit noise ("SDEDIT").
    public static let imageSDEdit: UInt64 = 0x5344_4544_4954
    /// The image reproduction's EGSDE noise ("EGSDE").
    public static let imageEGSDE: UInt64 = 0x45_4753_4445
    /// `monge bench unet`'s parameters and inputs ("UNET").
    public static let benchUNet: UInt64 = 0x554E_4554
    /// A point file's split into training and held-out rows (`reproduce --pairs A.csv:B.csv`, "PTSPLIT").
    public static let pointFileSplit: UInt64 = 0x50_5453_504C_4954
    /// Samples drawn from a point file's held-out rows ("PTDRAW").
    public static let pointFileDraws: UInt64 = 0x50_5444_5241_57
    /// The image MUNIT's parameter initialisation ("IMUNIT").
    public static let imageMUNITInitialisation: UInt64 = 0x494D_554E_4954
    /// The image reproduction's MUNIT prior styles, one per translated image ("IMSTYL").
    public static let imageMUNITStyles: UInt64 = 0x494D_5354_594C
    /// bridges-2d's SDEdit and EGSDE noise, shared by the two rows ("EDIT").
    public static let bridgesEditing: UInt64 = 0x4544_4954

    /// Every root tag with its name.
    public static let all: [(name: String, tag: UInt64)] = [
        ("diffusionTraining", diffusionTraining), ("heldOutLoss", heldOutLoss), ("classifierTraining", classifierTraining),
        ("classifierAccuracy", classifierAccuracy), ("convClassifierEpochs", convClassifierEpochs),
        ("convClassifierDraws", convClassifierDraws), ("networkInitialisation", networkInitialisation),
        ("ganInitialisation", ganInitialisation), ("ganTraining", ganTraining), ("ganSamples", ganSamples),
        ("munitInitialisation", munitInitialisation), ("munitTraining", munitTraining), ("munitEvaluation", munitEvaluation),
        ("munitStyles", munitStyles), ("flowTraining", flowTraining), ("torchCFMData", torchCFMData),
        ("slicedWasserstein", slicedWasserstein), ("digitsSampling", digitsSampling), ("imageSDEdit", imageSDEdit),
        ("imageEGSDE", imageEGSDE), ("benchUNet", benchUNet), ("bridgesEditing", bridgesEditing),
        ("imageMUNITInitialisation", imageMUNITInitialisation), ("imageMUNITStyles", imageMUNITStyles),
        ("pointFileSplit", pointFileSplit), ("pointFileDraws", pointFileDraws),
    ]

    /// Named substream labels of the default stream (`RandomStream(seed: s).substream(label)`).
    /// 2-D datasets use the FNV-1a hash of their name (`Dataset2D.streamLabel`) instead.
    public enum Label {
        /// The Fashion-MNIST subset's permutation ("fashion").
        public static let fashionSubset: UInt64 = 0x66_6173_6869_6f6e
        /// Which arrows a transport-map figure draws ("ARROWS").
        public static let figureArrows: UInt64 = 0x4152_524F_5753

        public static let all: [(name: String, tag: UInt64)] = [("fashionSubset", fashionSubset), ("figureArrows", figureArrows)]
    }
}
