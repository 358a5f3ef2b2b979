package flux2.trainer.plan;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import flux2.tensor.ByteSize;
import java.util.List;

/** A memory plan as a table for people and as one JSON object for programs. */
public final class PlanReport {
    private static final ObjectMapper JSON = new ObjectMapper();

    private PlanReport() {}

    /** The table: device items, host items, totals, the verdict and, when it does not fit, the settings that would. */
    public static String table(MemoryPlan p) {
        PlanSettings s = p.settings();
        StringBuilder sb = new StringBuilder();
        String where = s.deviceIsHost() ? "device " + s.device() + " (host memory)" : "device " + s.device();
        sb.append("memory plan, ").append(where).append(s.deviceMemory() > 0 ? ", " + ByteSize.format(s.deviceMemory()) + " available" : "")
                .append(System.lineSeparator());
        rows(sb, p.device());
        sb.append(String.format("  %-12s %s%n", ByteSize.format(p.deviceTotal()), "device total (the larger phase)"));
        if (!p.host().isEmpty()) {
            sb.append("host").append(System.lineSeparator());
            rows(sb, p.host());
            sb.append(String.format("  %-12s %s%n", ByteSize.format(p.hostTotal()), "host total (the larger phase)"));
        }
        if (s.deviceMemory() <= 0) sb.append("the device's memory is unknown: give it with --memory").append(System.lineSeparator());
        else if (p.fits()) sb.append("fits: ").append(ByteSize.format(s.deviceMemory() - p.deviceTotal())).append(" to spare").append(System.lineSeparator());
        else {
            sb.append("does not fit: ").append(ByteSize.format(p.deviceTotal() - s.deviceMemory())).append(" too much");
            if (p.fixes().isEmpty()) sb.append("; no precision, checkpointing or batch size makes it fit: lower the datasets' resolution");
            else {
                sb.append("; settings that fit:");
                for (String f : p.fixes()) sb.append(System.lineSeparator()).append("  ").append(f);
            }
            sb.append(System.lineSeparator());
        }
        return sb.toString();
    }

    private static void rows(StringBuilder sb, List<MemoryPlan.Item> items) {
        for (MemoryPlan.Item i : items) {
            String size = i.counted() ? ByteSize.format(i.bytes()) : "(" + ByteSize.format(i.bytes()) + ")";
            String note = i.note().isEmpty() ? "" : "; " + i.note();
            sb.append(String.format("  %-12s %-8s %s%s%n", size, i.phase().name().toLowerCase(java.util.Locale.ROOT), i.what(), note));
        }
    }

    /** The plan as one JSON object: settings, items with bytes, totals, fits and fixes. */
    public static String json(MemoryPlan p) {
        PlanSettings s = p.settings();
        ObjectNode o = JSON.createObjectNode();
        o.put("device", s.device());
        o.put("device_is_host", s.deviceIsHost());
        o.put("device_memory_bytes", s.deviceMemory());
        ObjectNode set = o.putObject("settings");
        set.put("base_model_precision", s.basePrecision());
        set.put("text_encoder_1_precision", s.textPrecision());
        set.put("model_type", s.full() ? "full" : "lora");
        set.put("lora_rank", s.rank());
        set.put("lora_layers", s.adapted().size());
        set.put("train_batch_size", s.batch());
        set.put("image_tokens", s.imageTokens());
        set.put("text_tokens", s.promptTokens());
        set.put("gradient_checkpointing", s.checkpointing());
        items(o.putArray("device_items"), p.device());
        items(o.putArray("host_items"), p.host());
        o.put("device_total_bytes", p.deviceTotal());
        o.put("host_total_bytes", p.hostTotal());
        if (s.deviceMemory() > 0) o.put("fits", p.fits());
        else o.putNull("fits");
        ArrayNode fixes = o.putArray("fixes");
        p.fixes().forEach(fixes::add);
        try {
            return JSON.writeValueAsString(o);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void items(ArrayNode a, List<MemoryPlan.Item> items) {
        for (MemoryPlan.Item i : items) {
            ObjectNode n = a.addObject();
            n.put("what", i.what());
            n.put("bytes", i.bytes());
            n.put("phase", i.phase().name().toLowerCase(java.util.Locale.ROOT));
            n.put("counted", i.counted());
            n.put("note", i.note());
        }
    }
}
