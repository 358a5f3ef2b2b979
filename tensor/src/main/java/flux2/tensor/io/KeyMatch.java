package flux2.tensor.io;

import flux2.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How a set of named tensors matches the names and shapes a model expects: missing, unexpected, given-twice
 * and mis-shaped keys, and any other kind of problem a loader finds, collected so that one exception lists
 * them all, kind by kind.
 */
public final class KeyMatch {
    private static final String MISSING = "missing keys", UNEXPECTED = "unexpected keys", TWICE = "given twice", SHAPES = "wrong shapes";
    private final Map<String, List<String>> problems = new LinkedHashMap<>();

    public KeyMatch() {
        for (String kind : List.of(MISSING, UNEXPECTED, TWICE, SHAPES)) problems.put(kind, new ArrayList<>());
    }

    /**
     * Expected against given names and shapes: every expected key must be given with its shape; given keys
     * that are not expected count only when {@code strict}.
     */
    public static KeyMatch of(Map<String, int[]> expected, Map<String, int[]> given, boolean strict) {
        KeyMatch m = new KeyMatch();
        expected.forEach((key, shape) -> {
            int[] got = given.get(key);
            if (got == null) m.missing(key);
            else m.checkShape(key, shape, got);
        });
        if (strict) for (String key : given.keySet()) if (!expected.containsKey(key)) m.unexpected(key);
        return m;
    }

    public KeyMatch missing(String key) { return add(MISSING, key); }

    public KeyMatch unexpected(String key) { return add(UNEXPECTED, key); }

    /** Two given keys that name the same tensor (say, under two prefixes or in two layouts). */
    public KeyMatch givenTwice(String key, String other) { return add(TWICE, key + " and " + other); }

    /** Records a wrong shape; true when the shapes agree. */
    public boolean checkShape(String key, int[] expected, int[] got) {
        if (Arrays.equals(expected, got)) return true;
        add(SHAPES, key + " (expected " + Arrays.toString(expected) + ", got " + Arrays.toString(got) + ")");
        return false;
    }

    /** A problem of another kind, listed under {@code kind} (such as "unsupported dtypes (F32, BF16 or F16 only)"). */
    public KeyMatch add(String kind, String item) {
        problems.computeIfAbsent(kind, k -> new ArrayList<>()).add(item);
        return this;
    }

    public boolean isEmpty() { return problems.values().stream().allMatch(List::isEmpty); }

    /** {@code subject} and every kind of problem on a line of its own with its count. */
    public String describe(String subject) {
        StringBuilder sb = new StringBuilder(subject).append(':');
        problems.forEach((kind, items) -> {
            if (!items.isEmpty()) sb.append("\n  ").append(kind).append(" (").append(items.size()).append("): ").append(String.join(", ", items));
        });
        return sb.toString();
    }

    /** Throws an IllegalArgumentException that says {@code subject} and lists every problem, if there is any. */
    public void check(String subject) {
        if (!isEmpty()) throw new IllegalArgumentException(describe(subject));
    }

    /** The shapes of named tensors, in their order. */
    public static Map<String, int[]> shapes(Map<String, Tensor> tensors) {
        Map<String, int[]> out = new LinkedHashMap<>();
        tensors.forEach((k, t) -> out.put(k, t.shape()));
        return out;
    }
}
