// The fixed part of every mochi-dotnet shim: marshalling helpers and the four
// exports every shim carries. The ABI is specified in docs/hosting.md; this file
// and that page change together, and MochiAbiVersion changes with any layout change.
//
// Written for Mono's `mcs` compiling against the .NET 8 framework assemblies:
// no string `+` (Span overloads crash mcs), only pointer overloads of Encoding.
using System;
using System.Collections.Generic;
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

    public static unsafe class ShimAbi
    {
        /// <summary>Bumped on any change to the layouts or conventions in docs/hosting.md.</summary>
        public const int MochiAbiVersion = 1;

        public const int StatusOk = 0;
        public const int StatusFailed = 1;

        static long liveHandles;

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
            return Interlocked.Read(ref liveHandles);
        }

        // ---- errors ----

        /// <summary>Fills err (when non-null) from e and returns StatusFailed; never throws.</summary>
        public static int Fail(Exception e, MochiError* err)
        {
            if (err == null)
            {
                return StatusFailed;
            }
            try
            {
                MochiStr type = NewString(e.GetType().FullName);
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

        // ---- memory ----

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

        // ---- handles ----

        /// <summary>A GCHandle to o as nint; 0 for null. Counted until released.</summary>
        public static IntPtr NewHandle(object o)
        {
            if (o == null)
            {
                return IntPtr.Zero;
            }
            IntPtr h = GCHandle.ToIntPtr(GCHandle.Alloc(o));
            Interlocked.Increment(ref liveHandles);
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
            GCHandle h = GCHandle.FromIntPtr(handle);
            h.Free();
            Interlocked.Decrement(ref liveHandles);
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
