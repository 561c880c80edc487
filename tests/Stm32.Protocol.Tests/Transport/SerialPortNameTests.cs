using Stm32.Protocol.Transport;

namespace Stm32.Protocol.Tests.Transport;

/// <summary>The COM port names Windows users type all open the same port.</summary>
public class SerialPortNameTests
{
    [Theory]
    [InlineData("COM12")]
    [InlineData("com12")]
    [InlineData(" COM12")]
    [InlineData("COM12 ")]
    [InlineData("COM12:")]
    [InlineData(@"\\.\COM12")]
    [InlineData(@"\\.\com12:")]
    [InlineData(@"\\?\COM12")]
    [InlineData("//./COM12")]
    [InlineData("USB Serial Port (COM12)")]
    [InlineData("STMicroelectronics STLink Virtual COM Port (COM12) ")]
    public void Every_windows_spelling_of_a_com_port_is_the_bare_upper_case_name(string typed)
        => Assert.Equal("COM12", SerialPortName.Normalize(typed, windows: true));

    [Theory]
    [InlineData("COM3", "COM3")]
    [InlineData("COM012", "COM012")]     // not COM12: Windows device names are strings
    [InlineData(@"\\.\CNCA0", "CNCA0")]  // a com0com port: the prefix goes, the name stays
    [InlineData(" sim://0x410?timing=instant ", "sim://0x410?timing=instant")]
    [InlineData("tcp://127.0.0.1:3333", "tcp://127.0.0.1:3333")]
    public void Other_names_are_only_trimmed_and_stripped_of_device_syntax(string typed, string expected)
        => Assert.Equal(expected, SerialPortName.Normalize(typed, windows: true));

    [Theory]
    [InlineData("/dev/ttyUSB0", "/dev/ttyUSB0")]
    [InlineData(" /dev/ttyUSB0 ", "/dev/ttyUSB0")]
    [InlineData("com12", "com12")]       // a file name on Unix: case matters there
    [InlineData("/tmp/port:", "/tmp/port:")]
    public void Unix_names_lose_only_surrounding_space(string typed, string expected)
        => Assert.Equal(expected, SerialPortName.Normalize(typed, windows: false));
}
