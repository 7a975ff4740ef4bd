/// MongeEvaluation: metrics of maps and images (PSNR, SSIM, L2, Fréchet distance) as pure functions.
@_exported import MongeCore
