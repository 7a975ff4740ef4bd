/// Small grey images (rows of a matrix, e.g. 8×8 digits as points of R⁶⁴) drawn as a grid of tiles
/// with gnuplot's `with image`, one data block per tile, optionally with a label left of each row
/// of tiles. Values are clamped to `valueRange`, drawn from white (low) to black (high).
public struct ImageGridFigure: Figure {
    /// [k, imageWidth · imageHeight]: one image per row, pixels row-major from the top-left.
    public var images: Matrix<Double>
    public var imageWidth: Int
    public var imageHeight: Int
    /// Tiles per row of the grid.
    public var columns: Int
    /// One label per row of tiles (or none).
    public var rowLabels: [String]
    public var title: FigureTitle
    public var valueRange: ClosedRange<Double>
    /// Canvas pixels per tile.
    public var tileSize: Int

    public init(images: Matrix<Double>, imageWidth: Int = 8, imageHeight: Int = 8, columns: Int,
                rowLabels: [String] = [], title: FigureTitle = "", valueRange: ClosedRange<Double> = -1...1,
                tileSize: Int = 56) {
        self.images = images
        self.imageWidth = imageWidth
        self.imageHeight = imageHeight
        self.columns = columns
        self.rowLabels = rowLabels
        self.title = title
        self.valueRange = valueRange
        self.tileSize = tileSize
    }

    /// Rows of tiles.
    public var gridRows: Int { (images.rows + max(columns, 1) - 1) / max(columns, 1) }

    /// Labelled rows of images: row r shows the first `count` images of `sets[r]`, so that column
    /// j lines up image j of every set (e.g. x_j, T(x_j), the exact OT image y_σ(j), T_BA(T(x_j))).
    public static func rows(_ sets: [(label: String, images: Matrix<Double>)], count: Int, title: FigureTitle = "",
                            imageWidth: Int = 8, imageHeight: Int = 8) throws -> ImageGridFigure {
        guard let first = sets.first else { throw MongeError.invalidArgument(name: "sets", message: "no image sets to draw") }
        for set in sets where set.images.shape != first.images.shape {
            throw MongeError.shapeMismatch("'\(set.label)' is \(set.images.shape), '\(first.label)' is \(first.images.shape): row j of each set belongs to image j")
        }
        guard count >= 1 else { throw MongeError.invalidArgument(name: "count", message: "need at least one image per row, got \(count)") }
        let k = min(count, first.images.rows)
        return ImageGridFigure(images: Matrix.vstack(sets.map { $0.images.rows(0..<k) }), imageWidth: imageWidth,
                               imageHeight: imageHeight, columns: k, rowLabels: sets.map(\.label), title: title)
    }

    /// Source images, their translations and the exact OT images of the same sources, as three
    /// rows of `count` tiles: column j shows x_j, T(x_j) and y_σ(j).
    public static func translationComparison(
        source: Matrix<Double>, mapped: Matrix<Double>, exact: Matrix<Double>, count: Int,
        labels: [String] = ["source", "DDIB", "exact OT"], title: FigureTitle = ""
    ) throws -> ImageGridFigure {
        guard labels.count == 3 else { throw MongeError.invalidArgument(name: "labels", message: "need 3 labels, got \(labels.count)") }
        return try rows([(labels[0], source), (labels[1], mapped), (labels[2], exact)], count: count, title: title)
    }

    public func document() throws -> PlotDocument {
        let pixels = imageWidth * imageHeight
        guard imageWidth >= 1, imageHeight >= 1, images.columns == pixels else {
            throw MongeError.shapeMismatch("images have \(images.columns) values per row; expected \(imageWidth) × \(imageHeight) = \(pixels)")
        }
        guard images.rows >= 1 else { throw MongeError.invalidArgument(name: "images", message: "no images to draw") }
        guard columns >= 1 else { throw MongeError.invalidArgument(name: "columns", message: "must be ≥ 1, got \(columns)") }
        guard rowLabels.isEmpty || rowLabels.count == gridRows else {
            throw MongeError.invalidArgument(name: "rowLabels", message: "\(rowLabels.count) labels for \(gridRows) rows of tiles")
        }
        guard valueRange.upperBound > valueRange.lowerBound else {
            throw MongeError.invalidArgument(name: "valueRange", message: "empty range \(valueRange)")
        }
        try images.checkFinite("image pixels")

        // Tile t sits at grid (t / columns, t % columns); pixel (i, j) of a tile at x = j, y = −i
        // from the tile's corner, tiles one pixel apart.
        let stepX = imageWidth + 1, stepY = imageHeight + 1
        var series: [Series] = []
        for t in 0..<images.rows {
            let (r, c) = (t / columns, t % columns)
            var xs: [Double] = [], ys: [Double] = [], values: [Double] = []
            for i in 0..<imageHeight {
                for j in 0..<imageWidth {
                    xs.append(Double(c * stepX + j))
                    ys.append(-Double(r * stepY + i))
                    values.append(min(max(images[t, i * imageWidth + j], valueRange.lowerBound), valueRange.upperBound))
                }
            }
            series.append(Series(columns: [xs, ys, values], style: .image, color: Palette.black, label: nil))
        }
        let shownColumns = min(columns, images.rows)
        let xRange = -0.5...(Double(shownColumns * stepX - 1) - 0.5)
        let yRange = (-Double(gridRows * stepY - 1) + 0.5)...0.5
        var commands = ["unset key", "unset tics", "unset border", "unset grid", "unset colorbox",
                        "set palette gray negative", "set cbrange [\(valueRange.lowerBound):\(valueRange.upperBound)]"]
        let labelWidth = rowLabels.map(\.count).max() ?? 0
        commands.append("set lmargin \(labelWidth > 0 ? labelWidth + 2 : 1)")
        commands.append(contentsOf: ["set rmargin 1", "set bmargin 1"])
        for (r, label) in rowLabels.enumerated() {
            let y = -(Double(r * stepY) + Double(imageHeight - 1) / 2)
            commands.append("set label \(r + 1) \(Gnuplot.quotedLabel(label)) at first -1, first \(y) right front")
        }
        let text = title.rendered
        let panel = Panel(series: series, title: text.isEmpty ? nil : text, equalAxes: true,
                          xRange: xRange, yRange: yRange, legend: .hidden, commands: commands)
        let labelPixels = labelWidth > 0 ? 10 * (labelWidth + 2) : 20
        return PlotDocument(panels: [panel], width: max(320, labelPixels + shownColumns * tileSize + 20),
                            height: gridRows * tileSize + (text.isEmpty ? 30 : 70),
                            summary: "grid of \(images.rows) images of \(imageWidth)×\(imageHeight) pixels")
    }
}
