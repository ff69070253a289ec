// The fixed part of every mochi-dotnet shim: marshalling helpers and the four
// exports every shim carries. The ABI is specified in docs/hosting.md; this file
// and that page change together, and MochiAbiVersion changes with any layout change.
//
// Written for Mono's `mcs` compiling against the .NET 8 framework assemblies:
// no string `+` (Span overloads crash mcs), only pointer overloads of Encoding.
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;

namespace Mochi.Interop
{
    /// <summary>A UTF-8 string crossing the boundary: (ptr, len); len -1 means null.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public unsafe struct MochiStr
    {
        public byte* Ptr;
        public int Len;
    }

    /// <summary>Failure details of an export; both strings are caller-owned (free with mochi_free).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public unsafe struct MochiError
    {
        public byte* TypeName;
        public int TypeNameLen;
        public byte* Message;
        public int MessageLen;
    }

    /// <summary>What a native callback reported through its mochi_error, thrown where
    /// .NET called the delegate; an export that catches it reports TypeName.</summary>
    public sealed class MochiCallbackException : Exception
    {
        public readonly string TypeName;

        public MochiCallbackException(string typeName, string message) : base(message)
        {
            TypeName = typeName;
        }
    }

    public static unsafe class ShimAbi
    {
        /// <summary>Bumped on any change to the layouts or conventions in docs/hosting.md.</summary>
        public const int MochiAbiVersion = 2;

        public const int StatusOk = 0;
        public const int StatusFailed = 1;

        // Handles this shim made and has not released: the live count, and a release of
        // anything else (twice, or a handle of another shim) is an error, not a corrupted
        // handle table.
        static readonly ConcurrentDictionary<IntPtr, bool> liveHandles = new ConcurrentDictionary<IntPtr, bool>();

        // ---- exports present in every shim ----

        [UnmanagedCallersOnly]
        public static int mochi_abi_version()
        {
            return MochiAbiVersion;
        }

        [UnmanagedCallersOnly]
        public static void mochi_free(void* ptr)
        {
            if (ptr != null)
            {
                Marshal.FreeCoTaskMem((IntPtr)ptr);
            }
        }

        [UnmanagedCallersOnly]
        public static int mochi_handle_release(IntPtr handle, MochiError* err)
        {
            try
            {
                ReleaseHandle(handle);
                return StatusOk;
            }
            catch (Exception e)
            {
                return Fail(e, err);
            }
        }

        [UnmanagedCallersOnly]
        public static long mochi_handle_live_count()
        {
            return liveHandles.Count;
        }

        /// <summary>The file this shim was loaded from, so the host can tell when the
        /// shared load context resolved its name to another file.</summary>
        [UnmanagedCallersOnly]
        public static int mochi_assembly_path(byte** result, int* resultLen, MochiError* err)
        {
            try
            {
                WriteString(typeof(ShimAbi).Assembly.Location, result, resultLen);
                return StatusOk;
            }
            catch (Exception e)
            {
                return Fail(e, err);
            }
        }

        /// <summary>A block the caller (or a callback returning a string) owns; released by mochi_free.</summary>
        [UnmanagedCallersOnly]
        public static void* mochi_alloc(long size)
        {
            try
            {
                return Alloc(size);
            }
            catch (Exception)
            {
                return null;
            }
        }

        /// <summary>A JSON text as a .NET object, for a parameter typed object: null,
        /// bool, long (double for a fraction or an exponent, or beyond Int64), string,
        /// List&lt;object&gt;, Dictionary&lt;string, object&gt;. The result is a new handle (0 for null).</summary>
        [UnmanagedCallersOnly]
        public static int mochi_box_json(byte* json, int len, IntPtr* result, MochiError* err)
        {
            try
            {
                *result = NewHandle(FromJson(ReadString(json, len)));
                return StatusOk;
            }
            catch (Exception e)
            {
                return Fail(e, err);
            }
        }

        /// <summary>Parses one JSON value (RFC 8259), see mochi_box_json.</summary>
        public static object FromJson(string s)
        {
            if (s == null)
            {
                return null;
            }
            int i = 0;
            object v = JsonValue(s, ref i, 0);
            JsonSpace(s, ref i);
            if (i != s.Length)
            {
                throw new FormatException(string.Concat(new string[] { "JSON: unexpected text at offset ", i.ToString(CultureInfo.InvariantCulture) }));
            }
            return v;
        }

        static void JsonSpace(string s, ref int i)
        {
            while (i < s.Length && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
            {
                i++;
            }
        }

        static FormatException JsonError(string what, int i)
        {
            return new FormatException(string.Concat(new string[] { "JSON: ", what, " at offset ", i.ToString(CultureInfo.InvariantCulture) }));
        }

        static object JsonValue(string s, ref int i, int depth)
        {
            if (depth > 256)
            {
                throw JsonError("nesting deeper than 256", i);
            }
            JsonSpace(s, ref i);
            if (i >= s.Length)
            {
                throw JsonError("a value expected", i);
            }
            char c = s[i];
            if (c == '{')
            {
                Dictionary<string, object> o = new Dictionary<string, object>();
                i++;
                JsonSpace(s, ref i);
                if (i < s.Length && s[i] == '}')
                {
                    i++;
                    return o;
                }
                while (true)
                {
                    JsonSpace(s, ref i);
                    if (i >= s.Length || s[i] != '"')
                    {
                        throw JsonError("a member name expected", i);
                    }
                    string k = JsonString(s, ref i);
                    JsonSpace(s, ref i);
                    if (i >= s.Length || s[i] != ':')
                    {
                        throw JsonError("':' expected", i);
                    }
                    i++;
                    o[k] = JsonValue(s, ref i, depth + 1);
                    JsonSpace(s, ref i);
                    if (i < s.Length && s[i] == ',')
                    {
                        i++;
                        continue;
                    }
                    if (i < s.Length && s[i] == '}')
                    {
                        i++;
                        return o;
                    }
                    throw JsonError("',' or '}' expected", i);
                }
            }
            if (c == '[')
            {
                List<object> a = new List<object>();
                i++;
                JsonSpace(s, ref i);
                if (i < s.Length && s[i] == ']')
                {
                    i++;
                    return a;
                }
                while (true)
                {
                    a.Add(JsonValue(s, ref i, depth + 1));
                    JsonSpace(s, ref i);
                    if (i < s.Length && s[i] == ',')
                    {
                        i++;
                        continue;
                    }
                    if (i < s.Length && s[i] == ']')
                    {
                        i++;
                        return a;
                    }
                    throw JsonError("',' or ']' expected", i);
                }
            }
            if (c == '"')
            {
                return JsonString(s, ref i);
            }
            if (string.CompareOrdinal(s, i, "true", 0, 4) == 0)
            {
                i += 4;
                return true;
            }
            if (string.CompareOrdinal(s, i, "false", 0, 5) == 0)
            {
                i += 5;
                return false;
            }
            if (string.CompareOrdinal(s, i, "null", 0, 4) == 0)
            {
                i += 4;
                return null;
            }
            int start = i;
            bool fraction = false;
            while (i < s.Length && "+-0123456789.eE".IndexOf(s[i]) >= 0)
            {
                if (s[i] == '.' || s[i] == 'e' || s[i] == 'E')
                {
                    fraction = true;
                }
                i++;
            }
            if (i == start)
            {
                throw JsonError("a value expected", i);
            }
            string n = s.Substring(start, i - start);
            if (!fraction)
            {
                try
                {
                    return Convert.ToInt64(n, CultureInfo.InvariantCulture);
                }
                catch (OverflowException)
                {
                }
            }
            return Convert.ToDouble(n, CultureInfo.InvariantCulture);
        }

        // No StringBuilder.Append or new string(char[]): their Span overloads crash mcs.
        static string JsonString(string s, ref int i)
        {
            List<string> parts = new List<string>();
            i++;
            int run = i;
            while (true)
            {
                if (i >= s.Length)
                {
                    throw JsonError("unterminated string", i);
                }
                char c = s[i];
                if (c == '"')
                {
                    parts.Add(s.Substring(run, i - run));
                    i++;
                    return string.Concat(parts.ToArray());
                }
                if (c != '\\')
                {
                    i++;
                    continue;
                }
                parts.Add(s.Substring(run, i - run));
                i++;
                if (i >= s.Length)
                {
                    throw JsonError("unterminated escape", i);
                }
                char e = s[i++];
                switch (e)
                {
                    case '"': parts.Add("\""); break;
                    case '\\': parts.Add("\\"); break;
                    case '/': parts.Add("/"); break;
                    case 'b': parts.Add("\b"); break;
                    case 'f': parts.Add("\f"); break;
                    case 'n': parts.Add("\n"); break;
                    case 'r': parts.Add("\r"); break;
                    case 't': parts.Add("\t"); break;
                    case 'u':
                        if (i + 4 > s.Length)
                        {
                            throw JsonError("bad \\u escape", i);
                        }
                        parts.Add(((char)Convert.ToInt32(s.Substring(i, 4), 16)).ToString());
                        i += 4;
                        break;
                    default:
                        throw JsonError("bad escape", i);
                }
                run = i;
            }
        }

        // ---- errors ----

        /// <summary>Fills err (when non-null) from e and returns StatusFailed; never throws.
        /// An error a native callback reported keeps its own type name.</summary>
        public static int Fail(Exception e, MochiError* err)
        {
            if (err == null)
            {
                return StatusFailed;
            }
            try
            {
                MochiCallbackException cb = e as MochiCallbackException;
                MochiStr type = NewString(cb != null ? cb.TypeName : e.GetType().FullName);
                MochiStr message = NewString(e.Message);
                err->TypeName = type.Ptr;
                err->TypeNameLen = type.Len;
                err->Message = message.Ptr;
                err->MessageLen = message.Len;
            }
            catch (Exception)
            {
                // Out of memory while reporting: the status alone still says "failed".
                err->TypeName = null;
                err->TypeNameLen = -1;
                err->Message = null;
                err->MessageLen = -1;
            }
            return StatusFailed;
        }

        /// <summary>The exception a failed native callback becomes: its error's type name
        /// and message (both freed here), thrown where .NET called the delegate.</summary>
        public static Exception CallbackFailed(MochiError* err)
        {
            string type = ReadString(err->TypeName, err->TypeNameLen);
            string message = ReadString(err->Message, err->MessageLen);
            FreeBlock(err->TypeName);
            FreeBlock(err->Message);
            err->TypeName = null;
            err->Message = null;
            return new MochiCallbackException(type == null ? "Mochi.CallbackError" : type, message == null ? "the callback failed" : message);
        }

        // ---- memory ----

        /// <summary>Releases a block from Alloc, mochi_alloc or malloc; null is ignored.</summary>
        public static void FreeBlock(byte* p)
        {
            if (p != null)
            {
                Marshal.FreeCoTaskMem((IntPtr)p);
            }
        }

        /// <summary>A caller-owned block, released by mochi_free; null for size 0.</summary>
        public static byte* Alloc(long size)
        {
            if (size <= 0)
            {
                return null;
            }
            if (size > int.MaxValue)
            {
                throw new OutOfMemoryException("result larger than 2 GiB");
            }
            return (byte*)Marshal.AllocCoTaskMem((int)size);
        }

        // ---- strings ----

        public static string ReadString(byte* ptr, int len)
        {
            if (len < 0)
            {
                return null;
            }
            if (len == 0)
            {
                return string.Empty;
            }
            if (ptr == null)
            {
                throw new ArgumentNullException("ptr", "non-empty string passed with a null pointer");
            }
            return Encoding.UTF8.GetString(ptr, len);
        }

        public static string ReadString(MochiStr s)
        {
            return ReadString(s.Ptr, s.Len);
        }

        /// <summary>UTF-8 byte count of s; 0 for null.</summary>
        public static int Utf8Count(string s)
        {
            if (s == null || s.Length == 0)
            {
                return 0;
            }
            fixed (char* chars = s)
            {
                return Encoding.UTF8.GetByteCount(chars, s.Length);
            }
        }

        /// <summary>Writes s at tail (which has room for Utf8Count(s) bytes) and advances tail.</summary>
        public static MochiStr PutString(string s, ref byte* tail)
        {
            MochiStr r;
            if (s == null)
            {
                r.Ptr = null;
                r.Len = -1;
                return r;
            }
            if (s.Length == 0)
            {
                r.Ptr = null;
                r.Len = 0;
                return r;
            }
            int n;
            fixed (char* chars = s)
            {
                n = Encoding.UTF8.GetBytes(chars, s.Length, tail, int.MaxValue);
            }
            r.Ptr = tail;
            r.Len = n;
            tail += n;
            return r;
        }

        /// <summary>A new caller-owned copy of s.</summary>
        public static MochiStr NewString(string s)
        {
            byte* block = Alloc(Utf8Count(s));
            return PutString(s, ref block);
        }

        public static void WriteString(string s, byte** outPtr, int* outLen)
        {
            MochiStr r = NewString(s);
            *outPtr = r.Ptr;
            *outLen = r.Len;
        }

        // ---- scalars without a Mochi counterpart (the binding plan's encodings) ----
        // Parsing avoids Guid.Parse, DateTime.ParseExact and decimal.Parse: their
        // Span overloads crash mcs.

        /// <summary>A char crosses as a string of exactly one UTF-16 unit.</summary>
        public static char ReadChar(byte* ptr, int len)
        {
            string s = ReadString(ptr, len);
            if (s == null || s.Length != 1)
            {
                throw new ArgumentException("a char crosses as a string of exactly one UTF-16 unit");
            }
            return s[0];
        }

        public static void WriteChar(char c, byte** outPtr, int* outLen)
        {
            WriteString(c.ToString(), outPtr, outLen);
        }

        /// <summary>Guid in format "D" (either case in, lower case out).</summary>
        public static Guid ReadGuid(byte* ptr, int len)
        {
            string s = ReadString(ptr, len);
            if (s == null || s.Length != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-')
            {
                throw new FormatException(string.Concat(new string[] { "not a GUID in format D (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx): ", s }));
            }
            byte[] d = new byte[8];
            d[0] = (byte)Hex(s, 19, 2);
            d[1] = (byte)Hex(s, 21, 2);
            for (int i = 0; i < 6; i++)
            {
                d[2 + i] = (byte)Hex(s, 24 + 2 * i, 2);
            }
            return new Guid(unchecked((int)Hex(s, 0, 8)), unchecked((short)Hex(s, 9, 4)), unchecked((short)Hex(s, 14, 4)), d);
        }

        static ulong Hex(string s, int start, int count)
        {
            ulong v = 0;
            for (int i = start; i < start + count; i++)
            {
                char ch = s[i];
                int digit;
                if (ch >= '0' && ch <= '9')
                {
                    digit = ch - '0';
                }
                else if (ch >= 'a' && ch <= 'f')
                {
                    digit = ch - 'a' + 10;
                }
                else if (ch >= 'A' && ch <= 'F')
                {
                    digit = ch - 'A' + 10;
                }
                else
                {
                    throw new FormatException(string.Concat(new string[] { "not a GUID in format D: ", s }));
                }
                v = (v << 4) | (uint)digit;
            }
            return v;
        }

        public static void WriteGuid(Guid g, byte** outPtr, int* outLen)
        {
            WriteString(g.ToString("D"), outPtr, outLen);
        }

        /// <summary>Uri: OriginalString out, new Uri(s, RelativeOrAbsolute) in; null stays null.</summary>
        public static Uri ReadUri(byte* ptr, int len)
        {
            string s = ReadString(ptr, len);
            return s == null ? null : new Uri(s, UriKind.RelativeOrAbsolute);
        }

        public static void WriteUri(Uri u, byte** outPtr, int* outLen)
        {
            WriteString(u == null ? null : u.OriginalString, outPtr, outLen);
        }

        /// <summary>
        /// DateTime as ISO 8601 round-trip text ("O"): yyyy-MM-ddTHH:mm:ss[.fffffff][Z|±hh:mm].
        /// The Kind survives: Z is Utc, an offset is Local (converted), none is Unspecified.
        /// </summary>
        public static DateTime ReadDateTime(byte* ptr, int len)
        {
            string s = ReadString(ptr, len);
            TimeSpan offset;
            DateTime local;
            int zone = ParseIso8601(s, out offset, out local);
            if (zone == ZoneNone)
            {
                return local;
            }
            if (zone == ZoneUtc)
            {
                return DateTime.SpecifyKind(local, DateTimeKind.Utc);
            }
            return new DateTimeOffset(local, offset).LocalDateTime;
        }

        public static void WriteDateTime(DateTime d, byte** outPtr, int* outLen)
        {
            WriteString(d.ToString("O", CultureInfo.InvariantCulture), outPtr, outLen);
        }

        /// <summary>DateTimeOffset as ISO 8601 "O"; the offset (or Z) is required.</summary>
        public static DateTimeOffset ReadDateTimeOffset(byte* ptr, int len)
        {
            string s = ReadString(ptr, len);
            TimeSpan offset;
            DateTime local;
            int zone = ParseIso8601(s, out offset, out local);
            if (zone == ZoneNone)
            {
                throw new FormatException(string.Concat(new string[] { "a DateTimeOffset needs Z or an offset: ", s }));
            }
            return new DateTimeOffset(local, offset);
        }

        const int ZoneNone = 0;
        const int ZoneUtc = 1;
        const int ZoneOffset = 2;

        // DateTime.ParseExact and XmlConvert are out of reach for mcs (Span overloads,
        // an unreferenced System.Private.Xml), so "O" is parsed here, strictly.
        static int ParseIso8601(string s, out TimeSpan offset, out DateTime unspecified)
        {
            if (s == null)
            {
                throw new ArgumentNullException("value", "a date cannot be null");
            }
            if (s.Length < 19 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
            {
                throw BadDate(s);
            }
            int year = Digits(s, 0, 4);
            int month = Digits(s, 5, 2);
            int day = Digits(s, 8, 2);
            int hour = Digits(s, 11, 2);
            int minute = Digits(s, 14, 2);
            int second = Digits(s, 17, 2);
            int i = 19;
            long fractionTicks = 0;
            if (i < s.Length && s[i] == '.')
            {
                i++;
                int start = i;
                while (i < s.Length && s[i] >= '0' && s[i] <= '9')
                {
                    i++;
                }
                int n = i - start;
                if (n == 0 || n > 7)
                {
                    throw BadDate(s);
                }
                fractionTicks = Digits(s, start, n);
                for (int k = n; k < 7; k++)
                {
                    fractionTicks *= 10;
                }
            }
            try
            {
                unspecified = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified).AddTicks(fractionTicks);
            }
            catch (ArgumentOutOfRangeException)
            {
                throw BadDate(s);
            }
            offset = TimeSpan.Zero;
            if (i == s.Length)
            {
                return ZoneNone;
            }
            if (s[i] == 'Z' && i + 1 == s.Length)
            {
                return ZoneUtc;
            }
            if ((s[i] == '+' || s[i] == '-') && i + 6 == s.Length && s[i + 3] == ':')
            {
                int hours = Digits(s, i + 1, 2);
                int minutes = Digits(s, i + 4, 2);
                if (hours > 14 || minutes > 59)
                {
                    throw BadDate(s);
                }
                offset = new TimeSpan(hours, minutes, 0);
                if (s[i] == '-')
                {
                    offset = offset.Negate();
                }
                return ZoneOffset;
            }
            throw BadDate(s);
        }

        static int Digits(string s, int start, int count)
        {
            int v = 0;
            for (int i = start; i < start + count; i++)
            {
                char ch = s[i];
                if (ch < '0' || ch > '9')
                {
                    throw BadDate(s);
                }
                v = v * 10 + (ch - '0');
            }
            return v;
        }

        static FormatException BadDate(string s)
        {
            return new FormatException(string.Concat(new string[] { "not an ISO 8601 round-trip date (yyyy-MM-ddTHH:mm:ss[.fffffff][Z|+hh:mm]): ", s }));
        }

        public static void WriteDateTimeOffset(DateTimeOffset d, byte** outPtr, int* outLen)
        {
            WriteString(d.ToString("O", CultureInfo.InvariantCulture), outPtr, outLen);
        }

        /// <summary>TimeSpan as int64 ticks (100 ns), exact.</summary>
        public static TimeSpan ReadTimeSpan(long ticks)
        {
            return new TimeSpan(ticks);
        }

        /// <summary>Decimal as an invariant-culture string ("G"), exact.</summary>
        public static decimal ReadDecimal(byte* ptr, int len)
        {
            string s = ReadString(ptr, len);
            if (s == null)
            {
                throw new ArgumentNullException("value", "a decimal cannot be null");
            }
            return Convert.ToDecimal(s, CultureInfo.InvariantCulture);
        }

        public static void WriteDecimal(decimal d, byte** outPtr, int* outLen)
        {
            WriteString(d.ToString(CultureInfo.InvariantCulture), outPtr, outLen);
        }

        // ---- callbacks (docs/hosting.md, "Callbacks") ----

        /// <summary>A native callback (fn, ctx, release) behind a delegate. The delegate
        /// holds it; when .NET collects it (the library dropped the delegate), its
        /// finalizer calls release(ctx) once, if release is not null.</summary>
        public sealed class NativeCallback
        {
            [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
            delegate void ReleaseFn(IntPtr ctx);

            public readonly IntPtr Function;
            public readonly IntPtr Context;
            readonly IntPtr release;
            Delegate typed;

            NativeCallback(IntPtr function, IntPtr context, IntPtr release)
            {
                Function = function;
                Context = context;
                this.release = release;
            }

            /// <summary>null for a null function pointer (a null delegate).</summary>
            public static NativeCallback Of(IntPtr function, IntPtr context, IntPtr release)
            {
                if (function == IntPtr.Zero)
                {
                    return null;
                }
                return new NativeCallback(function, context, release);
            }

            /// <summary>The function pointer as the native delegate type T (made once).</summary>
            public T As<T>() where T : class
            {
                Delegate d = typed;
                if (d == null)
                {
                    d = Marshal.GetDelegateForFunctionPointer(Function, typeof(T));
                    typed = d;
                }
                return (T)(object)d;
            }

            ~NativeCallback()
            {
                if (release != IntPtr.Zero)
                {
                    ReleaseFn r = (ReleaseFn)Marshal.GetDelegateForFunctionPointer(release, typeof(ReleaseFn));
                    r(Context);
                }
            }
        }

        // ---- handles ----

        /// <summary>A GCHandle to o as nint; 0 for null. Counted until released.</summary>
        public static IntPtr NewHandle(object o)
        {
            if (o == null)
            {
                return IntPtr.Zero;
            }
            IntPtr h = GCHandle.ToIntPtr(GCHandle.Alloc(o));
            liveHandles[h] = true;
            return h;
        }

        public static object HandleTarget(IntPtr handle)
        {
            if (handle == IntPtr.Zero)
            {
                return null;
            }
            return GCHandle.FromIntPtr(handle).Target;
        }

        /// <summary>The receiver of an instance call; a null handle is a NullReferenceException.</summary>
        public static T Receiver<T>(IntPtr handle) where T : class
        {
            object o = HandleTarget(handle);
            if (o == null)
            {
                throw new NullReferenceException(string.Concat(new string[] { "null receiver handle for ", typeof(T).FullName }));
            }
            return (T)o;
        }

        public static void ReleaseHandle(IntPtr handle)
        {
            if (handle == IntPtr.Zero)
            {
                return;
            }
            bool ignored;
            if (!liveHandles.TryRemove(handle, out ignored))
            {
                throw new InvalidOperationException("release of a handle this shim does not hold (released already, or made by another shim)");
            }
            GCHandle.FromIntPtr(handle).Free();
        }

        // ---- lists of blittable elements: (ptr, len) arrays ----

        public static List<long> ReadInt64List(long* ptr, int len)
        {
            List<long> r = new List<long>(len < 0 ? 0 : len);
            for (int i = 0; i < len; i++)
            {
                r.Add(ptr[i]);
            }
            return r;
        }

        public static List<int> ReadInt32List(int* ptr, int len)
        {
            List<int> r = new List<int>(len < 0 ? 0 : len);
            for (int i = 0; i < len; i++)
            {
                r.Add(ptr[i]);
            }
            return r;
        }

        public static List<double> ReadDoubleList(double* ptr, int len)
        {
            List<double> r = new List<double>(len < 0 ? 0 : len);
            for (int i = 0; i < len; i++)
            {
                r.Add(ptr[i]);
            }
            return r;
        }

        public static List<string> ReadStringList(MochiStr* ptr, int len)
        {
            List<string> r = new List<string>(len < 0 ? 0 : len);
            for (int i = 0; i < len; i++)
            {
                r.Add(ReadString(ptr[i]));
            }
            return r;
        }

        /// <summary>bool crosses as a byte: 0 is false, anything else true.</summary>
        public static List<bool> ReadBoolList(byte* ptr, int len)
        {
            List<bool> r = new List<bool>(len < 0 ? 0 : len);
            for (int i = 0; i < len; i++)
            {
                r.Add(ptr[i] != 0);
            }
            return r;
        }

        /// <summary>The targets of handles (null for 0); the handles stay owned by the caller.</summary>
        public static List<T> ReadHandleList<T>(IntPtr* ptr, int len) where T : class
        {
            List<T> r = new List<T>(len < 0 ? 0 : len);
            for (int i = 0; i < len; i++)
            {
                r.Add((T)HandleTarget(ptr[i]));
            }
            return r;
        }

        public static void WriteBoolList(IList<bool> xs, byte** outPtr, int* outLen)
        {
            if (xs == null)
            {
                *outPtr = null;
                *outLen = -1;
                return;
            }
            int n = xs.Count;
            byte* p = Alloc(n);
            for (int i = 0; i < n; i++)
            {
                p[i] = xs[i] ? (byte)1 : (byte)0;
            }
            *outPtr = p;
            *outLen = n;
        }

        public static void WriteInt64List(IList<long> xs, long** outPtr, int* outLen)
        {
            if (xs == null)
            {
                *outPtr = null;
                *outLen = -1;
                return;
            }
            int n = xs.Count;
            long* p = (long*)Alloc((long)n * sizeof(long));
            for (int i = 0; i < n; i++)
            {
                p[i] = xs[i];
            }
            *outPtr = p;
            *outLen = n;
        }

        public static void WriteInt32List(IList<int> xs, int** outPtr, int* outLen)
        {
            if (xs == null)
            {
                *outPtr = null;
                *outLen = -1;
                return;
            }
            int n = xs.Count;
            int* p = (int*)Alloc((long)n * sizeof(int));
            for (int i = 0; i < n; i++)
            {
                p[i] = xs[i];
            }
            *outPtr = p;
            *outLen = n;
        }

        public static void WriteDoubleList(IList<double> xs, double** outPtr, int* outLen)
        {
            if (xs == null)
            {
                *outPtr = null;
                *outLen = -1;
                return;
            }
            int n = xs.Count;
            double* p = (double*)Alloc((long)n * sizeof(double));
            for (int i = 0; i < n; i++)
            {
                p[i] = xs[i];
            }
            *outPtr = p;
            *outLen = n;
        }

        /// <summary>
        /// One caller-owned block: n MochiStr followed by their UTF-8 bytes, so a single
        /// mochi_free releases the list and every string in it.
        /// </summary>
        public static void WriteStringList(IList<string> xs, MochiStr** outPtr, int* outLen)
        {
            if (xs == null)
            {
                *outPtr = null;
                *outLen = -1;
                return;
            }
            int n = xs.Count;
            long bytes = 0;
            for (int i = 0; i < n; i++)
            {
                bytes += Utf8Count(xs[i]);
            }
            byte* block = Alloc((long)n * sizeof(MochiStr) + bytes);
            MochiStr* items = (MochiStr*)block;
            byte* tail = block + (long)n * sizeof(MochiStr);
            for (int i = 0; i < n; i++)
            {
                items[i] = PutString(xs[i], ref tail);
            }
            *outPtr = items;
            *outLen = n;
        }

        /// <summary>Handles for each element (0 for null); each must be released.</summary>
        public static void WriteHandleList<T>(IList<T> xs, IntPtr** outPtr, int* outLen) where T : class
        {
            if (xs == null)
            {
                *outPtr = null;
                *outLen = -1;
                return;
            }
            int n = xs.Count;
            IntPtr* p = (IntPtr*)Alloc((long)n * sizeof(IntPtr));
            for (int i = 0; i < n; i++)
            {
                p[i] = NewHandle(xs[i]);
            }
            *outPtr = p;
            *outLen = n;
        }
    }
}
