// A resident mcs: one mono process answers many compile requests (no start-up and JIT per call).
// Request on stdin: a line with the working folder, a line with the argument count N, N argument lines.
// Answer on stdout: mcs's messages, then a line "\u0001END <0|1>" (0: compiled).
using System;
using System.IO;
using System.Reflection;

static class McsServer
{
    static int Main(string[] argv)
    {
        var asm = Assembly.LoadFrom(argv[0]);
        var entry = asm.GetType("Mono.CSharp.CompilerCallableEntryPoint");
        var invoke = entry.GetMethod("InvokeCompiler", BindingFlags.Public | BindingFlags.Static);
        var stdin = Console.In;
        var stdout = Console.Out;
        while (true)
        {
            string dir = stdin.ReadLine();
            if (dir == null) return 0;
            int n = int.Parse(stdin.ReadLine());
            var args = new string[n];
            for (int i = 0; i < n; i++) args[i] = stdin.ReadLine();
            var messages = new StringWriter();
            bool ok;
            try
            {
                Environment.CurrentDirectory = dir;
                Console.SetOut(messages);
                ok = (bool)invoke.Invoke(null, new object[] { args, messages });
            }
            catch (Exception e)
            {
                messages.WriteLine("error CS0000: the resident compiler failed: " + e.GetBaseException().Message);
                ok = false;
            }
            finally
            {
                Console.SetOut(stdout);
            }
            stdout.Write(messages.ToString());
            stdout.WriteLine("\u0001END " + (ok ? "0" : "1"));
            stdout.Flush();
        }
    }
}
