using Xunit;
using System.Text;
using Stm32.Protocol.Firmware;

namespace Stm32.Protocol.Tests.Firmware;

internal static class TestData
{
    public static string PathOf(string name) => Path.Combine(AppContext.BaseDirectory, "data", name);

    public static FirmwareImage Read(string name, FirmwareFormat format = FirmwareFormat.Auto, uint? baseAddress = null)
        => FirmwareReader.Read(PathOf(name), format, baseAddress);

    /// <summary>Reads text given in the test as a file of that name (LF line ends as written).</summary>
    public static FirmwareImage ReadText(string text, string name = "test.hex", FirmwareFormat format = FirmwareFormat.Auto)
        => FirmwareReader.Read(Encoding.ASCII.GetBytes(text), name, format);

    public static FirmwareFormatException ReadBad(string text, string name = "bad.hex")
        => Assert.Throws<FirmwareFormatException>(() => ReadText(text, name));
}
