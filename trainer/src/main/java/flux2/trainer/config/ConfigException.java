package flux2.trainer.config;

import java.util.List;

/** Thrown when configuration files have problems; the message lists every problem, one per line. */
public final class ConfigException extends RuntimeException {
    private final List<ConfigProblem> problems;

    public ConfigException(List<ConfigProblem> problems) {
        super(format(problems));
        this.problems = List.copyOf(problems);
    }

    /** Every problem found, in the order the files were read. */
    public List<ConfigProblem> problems() {
        return problems;
    }

    private static String format(List<ConfigProblem> problems) {
        var sb = new StringBuilder(problems.size() == 1 ? "1 configuration problem:" : problems.size() + " configuration problems:");
        for (ConfigProblem p : problems) sb.append("\n  - ").append(p);
        return sb.toString();
    }
}
