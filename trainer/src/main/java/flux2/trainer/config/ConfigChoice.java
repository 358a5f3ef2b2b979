package flux2.trainer.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A constant of an enumeration key whose config spelling is not its Java name in lower case ("random-range",
 * "int8-quanto"), or that has a second spelling ("centre"). Enums of other keys are spelled as their lower-case name.
 */
public interface ConfigChoice {
    /** How a config file writes this value. */
    String configName();

    /** Further spellings a config file may use for this value. */
    default List<String> otherSpellings() { return List.of(); }

    /** How a config file writes {@code constant}. */
    static String configName(Enum<?> constant) {
        return constant instanceof ConfigChoice c ? c.configName() : constant.name().toLowerCase(Locale.ROOT);
    }

    /** Every spelling of every constant of {@code type}, in declaration order: the values a key of that type allows. */
    static List<String> spellings(Class<? extends Enum<?>> type) {
        List<String> out = new ArrayList<>();
        for (Enum<?> c : type.getEnumConstants()) {
            out.add(configName(c));
            if (c instanceof ConfigChoice cc) out.addAll(cc.otherSpellings());
        }
        return List.copyOf(out);
    }

    /** The constant of {@code type} spelled {@code value}, or null. */
    static <E extends Enum<E>> E of(Class<E> type, String value) {
        for (E c : type.getEnumConstants())
            if (configName(c).equals(value) || c instanceof ConfigChoice cc && cc.otherSpellings().contains(value)) return c;
        return null;
    }
}
