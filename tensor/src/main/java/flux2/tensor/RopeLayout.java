package flux2.tensor;

/** How rotary embeddings pair the channels of a head. */
public enum RopeLayout {
    /** Pairs (2i, 2i+1), as FLUX.2 does. */
    INTERLEAVED,
    /** Pairs (i, i + D/2), as Mistral and Llama do ("rotate half"). */
    ROTATE_HALF
}
