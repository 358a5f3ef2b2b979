package flux2.tests.server;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web UI in headless Chromium (Debian's chromium and chromium-driver, which .ci/run installs; the test skips
 * where they are missing): create an environment from the example, see a config typo refused beside its key, look
 * at the dataset, start a run, watch the step counter and the loss chart move and a validation image appear, stop
 * it and see its checkpoint. Screenshots go to target/server-*.png.
 */
class ServerBrowserTest {
    static final Path SHOTS = Path.of("target");
    @TempDir Path root;
    @TempDir Path profile;

    static File first(String... candidates) {
        for (String c : candidates) {
            File f = new File(c);
            if (f.canExecute()) return f;
        }
        return null;
    }

    @Test
    void editStartWatchAndStopARunInTheBrowser() throws Exception {
        File driverBin = first("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver");
        File browserBin = first("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome");
        assumeTrue(driverBin != null && browserBin != null, "no headless browser here: install Debian's chromium and chromium-driver (.ci/run does) to run the web UI tests");
        ChromeOptions options = new ChromeOptions().setBinary(browserBin);
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--user-data-dir=" + profile, "--window-size=1280,1500");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(driverBin).usingAnyFreePort().build();
        try (LiveServer s = new LiveServer(root)) {
            WebDriver d = new ChromeDriver(service, options);
            try {
                d.manage().window().setSize(new Dimension(1280, 1500));
                // the job page redraws its figures as events come: an element read just before a redraw is stale, read it again
                var wait = new WebDriverWait(d, Duration.ofSeconds(120), Duration.ofMillis(100)).ignoring(StaleElementReferenceException.class);
                d.get(s.base() + "/");
                wait.until(x -> x.findElement(By.id("new-env-create")));
                d.findElement(By.id("new-env-name")).sendKeys("tiny");
                d.findElement(By.id("new-env-create")).click();

                // a typo in a value: refused, and said beside its key
                WebElement scheduler = wait.until(x -> x.findElement(By.cssSelector(".field[data-key='lr_scheduler'] input")));
                scheduler.clear();
                scheduler.sendKeys("cosin");
                d.findElement(By.id("save-config")).click();
                WebElement error = wait.until(x -> visible(x, ".field-error[data-key='lr_scheduler']"));
                assertTrue(error.getText().contains("'cosin'") && error.getText().contains("cosine"), error.getText());
                assertTrue(d.findElement(By.id("config-messages")).getText().contains("lr_scheduler"), d.findElement(By.id("config-messages")).getText());
                assertTrue(Files.readString(root.resolve("config/tiny/config.json")).contains("\"constant_with_warmup\""), "not saved");
                shot(d, "server-config-error.png");
                scheduler.clear();
                scheduler.sendKeys("constant_with_warmup");
                d.findElement(By.id("save-config")).click();
                wait.until(x -> x.findElement(By.id("config-messages")).getText().startsWith("saved config/tiny/config.json"));

                // the dataset: every image with its caption
                d.findElement(By.cssSelector(".tabs a[data-tab='datasets']")).click();
                wait.until(x -> x.findElements(By.cssSelector(".dataset[data-dataset='shapes'] .thumb")).size() == 72);
                wait.until(x -> (Boolean) ((JavascriptExecutor) x).executeScript(
                        "return [...document.querySelectorAll('.thumb img')].slice(0, 6).every(i => i.complete && i.naturalWidth > 0)"));
                shot(d, "server-datasets.png");

                // a run
                d.findElement(By.cssSelector(".tabs a[data-tab='train']")).click();
                WebElement overrides = wait.until(x -> x.findElement(By.id("train-overrides")));
                overrides.clear();
                overrides.sendKeys("{\"max_train_steps\": 300, \"validation_step_interval\": 10, \"validation_num_inference_steps\": 2,"
                        + " \"num_validation_images\": 1, \"validation_on_startup\": false, \"checkpoint_step_interval\": 100000}");
                d.findElement(By.id("start-job")).click();
                wait.until(x -> x.getCurrentUrl().contains("#/job/"));
                int firstStep = wait.until(x -> step(x) >= 1 ? step(x) : null);
                int firstPoints = wait.until(x -> points(x) >= 1 ? points(x) : null);
                wait.until(x -> step(x) > firstStep + 2 && points(x) > firstPoints + 2);
                assertTrue(d.findElement(By.cssSelector("#loss-chart canvas")).isDisplayed(), "the loss chart is drawn");
                assertTrue(d.findElement(By.cssSelector("#lr-chart canvas")).isDisplayed(), "the learning-rate chart is drawn");
                wait.until(x -> (Boolean) ((JavascriptExecutor) x).executeScript(
                        "const i = document.querySelectorAll('#gallery img'); return i.length >= 3 && [...i].every(e => e.complete && e.naturalWidth === 32)"));
                wait.until(x -> "running".equals(x.findElement(By.cssSelector("#job-state .badge")).getText()));
                wait.until(x -> step(x) >= 12); // a few more points on the chart for the picture
                shot(d, "server-job.png");

                d.findElement(By.id("stop-job")).click();
                wait.until(x -> "finished".equals(x.findElement(By.cssSelector("#job-state .badge")).getText()));
                int stoppedAt = step(d);
                assertTrue(stoppedAt < 300, "stopped before its end");
                List<String> links = wait.until(x -> x.findElement(By.cssSelector("#checkpoints li[data-checkpoint='checkpoint-" + stoppedAt + "']"))
                        .findElements(By.tagName("a")).stream().map(WebElement::getText).toList());
                assertTrue(links.contains("checkpoint-" + stoppedAt + "/pytorch_lora_weights.safetensors"), links.toString());
                assertTrue(Files.isRegularFile(root.resolve("output/tiny/checkpoint-" + stoppedAt + "/training_state.json")));
                wait.until(x -> x.findElement(By.id("run-files")).getText().contains("metrics.jsonl"));
                // the full-size view of a validation image
                d.findElement(By.cssSelector("#gallery img")).click();
                wait.until(x -> visible(x, "#lightbox"));
                shot(d, "server-stopped.png");
            } finally {
                d.quit();
            }
        } finally {
            service.stop();
        }
    }

    /** The first element of {@code css} that is shown, or null (to wait on). */
    private static WebElement visible(WebDriver d, String css) {
        return d.findElements(By.cssSelector(css)).stream().filter(WebElement::isDisplayed).findFirst().orElse(null);
    }

    /** The step the job page shows ("12 / 3000"). */
    private static int step(WebDriver d) {
        String t = d.findElement(By.id("job-step")).getText();
        return t.contains(" / ") ? Integer.parseInt(t.substring(0, t.indexOf(' '))) : -1;
    }

    /** The points of the loss chart. */
    private static int points(WebDriver d) {
        String p = d.findElement(By.cssSelector("#loss-chart .count")).getDomAttribute("data-points");
        return p == null ? 0 : Integer.parseInt(p);
    }

    private static void shot(WebDriver d, String name) throws Exception {
        Files.createDirectories(SHOTS);
        File f = ((TakesScreenshot) d).getScreenshotAs(OutputType.FILE);
        Files.copy(f.toPath(), SHOTS.resolve(name), StandardCopyOption.REPLACE_EXISTING);
    }

}
