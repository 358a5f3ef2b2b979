package flux2.trainer.events;

/** The stages of a training run, as the events file names them ({@link #key}) and as people read them ({@link #label}). */
public enum Phase {
    CACHING_TEXT("caching_text", "caching text"),
    CACHING_LATENTS("caching_latents", "caching latents"),
    TRAINING("training", "training"),
    VALIDATING("validating", "validating"),
    SAVING("saving", "saving");

    private final String key, label;

    Phase(String key, String label) {
        this.key = key;
        this.label = label;
    }

    /** The stage key written to the events file. */
    public String key() { return key; }

    /** The words shown to people. */
    public String label() { return label; }
}
