// The plugin side of gh-ft's feedback contract (schemas/feedback.schema.json).
// Add this file to the Grasshopper plugin and call GenerationFeedback.Log(...) where a
// generated component has just compiled. Plain .NET (Framework 4.8 or .NET 7+, C# 6):
// no JSON library needed.
using System;
using System.Globalization;
using System.IO;
using System.Text;

namespace GhFt.Feedback
{
    public static class GenerationFeedback
    {
        /// <summary>The folder gh-ft reads: $GH_FT_FEEDBACK_DIR when set (e.g. a synced folder the
        /// training machine sees), else GenerationFeedback inside Grasshopper's own app-data folder
        /// (pass Grasshopper.Folders.AppDataFolder; on Windows %APPDATA%\Grasshopper).</summary>
        public static string DefaultFolder(string grasshopperAppDataFolder)
        {
            string configured = Environment.GetEnvironmentVariable("GH_FT_FEEDBACK_DIR");
            return string.IsNullOrEmpty(configured)
                ? Path.Combine(grasshopperAppDataFolder, "GenerationFeedback")
                : configured;
        }

        /// <summary>Writes successful_gen_yyyyMMdd_HHmmss[_N].json into <paramref name="folder"/> and
        /// returns its path. Atomic: the JSON goes to a .tmp file, is flushed to the disk, and only
        /// then renamed to its .json name, so `gh-ft feedback ingest` never reads half a file. Two
        /// generations in the same second get _2, _3...: an earlier file is never overwritten.</summary>
        public static string Log(string folder, string instruction, string input, string code, int compilationAttempts)
        {
            Directory.CreateDirectory(folder);
            DateTime now = DateTime.Now;
            string json = "{\n"
                + "  \"instruction\": " + Quote(instruction) + ",\n"
                + "  \"input\": " + Quote(input ?? string.Empty) + ",\n"
                + "  \"output\": " + Quote(code) + ",\n"
                + "  \"metadata\": {\n"
                + "    \"timestamp\": " + Quote(now.ToString("o", CultureInfo.InvariantCulture)) + ",\n"
                + "    \"success\": true,\n"
                + "    \"compilation_attempts\": " + compilationAttempts.ToString(CultureInfo.InvariantCulture) + "\n"
                + "  }\n"
                + "}\n";
            string stem = "successful_gen_" + now.ToString("yyyyMMdd_HHmmss", CultureInfo.InvariantCulture);
            string tmp = Path.Combine(folder, stem + "." + Guid.NewGuid().ToString("N") + ".tmp");
            try
            {
                using (var stream = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write))
                {
                    byte[] bytes = new UTF8Encoding(false).GetBytes(json);
                    stream.Write(bytes, 0, bytes.Length);
                    stream.Flush(true); // on the disk before the rename makes it visible
                }
                for (int n = 1; ; n++)
                {
                    string path = Path.Combine(folder, n == 1 ? stem + ".json" : stem + "_" + n + ".json");
                    if (File.Exists(path))
                        continue;
                    try
                    {
                        File.Move(tmp, path); // never replaces an existing file
                        return path;
                    }
                    catch (IOException) when (File.Exists(path))
                    {
                        // another generation took this name between the check and the move
                    }
                }
            }
            catch
            {
                try { File.Delete(tmp); } catch { } // keep the original error
                throw;
            }
        }

        static string Quote(string text)
        {
            var sb = new StringBuilder(text.Length + 16);
            sb.Append('"');
            foreach (char c in text)
            {
                switch (c)
                {
                    case '"': sb.Append("\\\""); break;
                    case '\\': sb.Append("\\\\"); break;
                    case '\n': sb.Append("\\n"); break;
                    case '\r': sb.Append("\\r"); break;
                    case '\t': sb.Append("\\t"); break;
                    default:
                        if (c < ' ')
                            sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        else
                            sb.Append(c);
                        break;
                }
            }
            return sb.Append('"').ToString();
        }
    }
}
