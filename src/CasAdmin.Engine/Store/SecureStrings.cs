using System.Runtime.InteropServices;
using System.Security;

namespace CasAdmin.Engine.Store;

/// <summary>How a secret value is held inside the engine: in a read-only SecureString, copied out as text only when a library needs it.</summary>
internal static class SecureStrings
{
    /// <summary>Wraps a secret the engine received as text (from Entra or a token) so it leaves the engine read-only and protected.</summary>
    public static SecureString Protect(string value)
    {
        var secure = new SecureString();
        foreach (var ch in value)
        {
            secure.AppendChar(ch);
        }

        secure.MakeReadOnly();
        return secure;
    }

    /// <summary>
    /// True when the secret holds something other than white space. Empty and blank secrets are the same mistake
    /// (a blank secret is never valid, and MSAL rejects it with an ArgumentNullException); this reads the characters
    /// in place, without copying the secret into a managed string.
    /// </summary>
    public static bool HasValue([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] SecureString? value)
    {
        if (value is null || value.Length == 0)
        {
            return false;
        }

        var pointer = Marshal.SecureStringToGlobalAllocUnicode(value);
        try
        {
            for (var i = 0; i < value.Length; i++)
            {
                if (!char.IsWhiteSpace((char)Marshal.ReadInt16(pointer, i * sizeof(char))))
                {
                    return true;
                }
            }

            return false;
        }
        finally
        {
            Marshal.ZeroFreeGlobalAllocUnicode(pointer);
        }
    }

    /// <summary>Copies a secret out of a SecureString only at the moment a library needs it as text.</summary>
    public static string Reveal(SecureString value)
    {
        var pointer = Marshal.SecureStringToGlobalAllocUnicode(value);
        try
        {
            return Marshal.PtrToStringUni(pointer) ?? string.Empty;
        }
        finally
        {
            Marshal.ZeroFreeGlobalAllocUnicode(pointer);
        }
    }
}
