package flux2.trainer.config;

/** One problem found in a configuration file: which file, which key, and what is wrong or allowed. */
public record ConfigProblem(String file, String key, String message) {
    @Override
    public String toString() {
        return file + ": " + (key == null || key.isEmpty() ? "" : key + ": ") + message;
    }
}
