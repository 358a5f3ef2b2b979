package flux2.model.image;

/** What to do with an image that has an alpha channel. */
public enum AlphaPolicy {
    /** Composite the image over a white background. */
    WHITE,
    /** Refuse the image with an {@link ImageLoadException}. */
    REJECT
}
