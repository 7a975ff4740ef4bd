extension FashionMNIST {
    /// Whether a left–right mirror image of class `id` is as likely as the image itself, i.e.
    /// whether horizontal flips are a valid augmentation for it.
    ///
    /// Measured on the train split (each image against its class's mean image and the mean's
    /// mirror): the shoes face one way — 99.7 % of sneakers (7) and 100 % of ankle boots (9) are
    /// closer to the unflipped mean, and 92.6 % of sandals (5); the mean image of those classes
    /// differs from its mirror by 25–76 grey levels per pixel. Flipping them would teach a model
    /// shoes that point right, which the data never show. The garments and the bag are near
    /// symmetric (66–79 % closer to the unflipped mean, the mean within 5–14 grey levels of its
    /// mirror), so flips are valid there.
    public static func flipIsValid(class id: Int) -> Bool {
        !shoeClasses.contains(id)
    }

    /// Sandal, sneaker and ankle boot: the classes whose images all face one way.
    public static let shoeClasses: Set<Int> = [5, 7, 9]
}
