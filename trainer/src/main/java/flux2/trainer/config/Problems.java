package flux2.trainer.config;

import java.util.ArrayList;
import java.util.List;

/** Collects errors and warnings while configuration files are read, so that all are reported at once. */
public final class Problems {
    private final List<ConfigProblem> errors = new ArrayList<>();
    private final List<ConfigProblem> warnings = new ArrayList<>();

    public void error(String file, String key, String message) {
        errors.add(new ConfigProblem(file, key, message));
    }

    public void warn(String file, String key, String message) {
        warnings.add(new ConfigProblem(file, key, message));
    }

    public List<ConfigProblem> errors() {
        return List.copyOf(errors);
    }

    public List<ConfigProblem> warnings() {
        return List.copyOf(warnings);
    }

    public boolean hasErrors() {
        return !errors.isEmpty();
    }

    /** Throws a {@link ConfigException} listing every error, if there is any. */
    public void throwIfErrors() {
        if (!errors.isEmpty()) throw new ConfigException(errors);
    }
}
