package flux2.trainer.data;

/** One training example: an image of a dataset with the caption drawn for this pass over it. */
public record Sample(String datasetId, ImageEntry image, String caption) {}
