# The prose of the cmdlet help. New-Stm32Help.ps1 turns it into en-US/Stm32.PowerShell.dll-Help.xml.
# Blank lines separate paragraphs.
@{
    'Connect-Stm32' = @{
        Synopsis    = 'Opens a serial port (or a simulated chip), synchronises with the STM32 bootloader and returns a session.'
        Description = @'
Connect-Stm32 opens the port, sends the bootloader's synchronisation byte 0x7F, and identifies the chip with the Get, Get Version and Get ID commands. It then reads the flash-size register and the unique ID where the family has them, and notes whether the chip is read-protected. The result is a Stm32Session object that every other cmdlet of the module takes from the pipeline or by -SessionId.

The chip must already be in its bootloader: BOOT0 high (BOOT1 low where the part has it), then a reset. See Get-Help about_Stm32.

Ports are serial port names (/dev/ttyUSB0, /dev/serial/by-id/..., COM3) or simulated chips: sim://<product ID or name>, for example sim://0x410, with the options ?timing=instant|realistic (realistic is the default), &protocol=2.2|3.1|3.3|4.0 (the bootloader version; the default follows the family) &boot0=0 (the chip runs its application and never answers) and &rdp=0|1|2 (programs the read-protection level, which stays on the chip). A simulated chip lives as long as the runspace: the same name reaches the same chip, so its memory survives Disconnect-Stm32 and Connect-Stm32.

A port may also be tcp://host:port: a raw byte stream to a serial server (ser2net, ESP-link, a lab serial server, or Start-Stm32Simulator). Line settings are the server's business there.

Boards that wire RESET and BOOT0 to the adapter's DTR and RTS can be put into the bootloader by Connect-Stm32 itself: -EnterBootloader with the usual wiring (DTR to RESET, RTS to BOOT0, an asserted line drives its pin low), -ResetLine, -Boot0Line, -InvertReset and -InvertBoot0 for other wirings, -ResetPulseMs and -BootDelayMs for the timing, or -BootSequence with stm32flash's -i syntax. The entry sequence sets BOOT0 high, pulses RESET and waits; it runs again before each -Retry. The session keeps the exit sequence (BOOT0 low, pulse RESET) for Disconnect-Stm32 -Reset. A pseudo-terminal or a TCP stream has no modem lines: the error ModemLinesNotSupported says so. A sim:// chip has its RESET and BOOT0 wired to the session's DTR and RTS (option &wiring=), so sim://0x410?boot0=0 answers only after an entry sequence.

One session per port: a port that an open session holds is refused with the error PortInUse. Warnings about the chip (an unknown product ID, a register that could not be read) are written with Write-Warning.

When nothing answers, the error (BootloaderNoResponse) says what was sent and what came back, then lists the likely causes in order: the boot pins and reset, TX and RX crossed, the baud rate, 8E1 parity on the adapter, another program holding the port, read protection.
'@
        Parameters  = @{
            Port     = 'The serial port (/dev/ttyUSB0, /dev/serial/by-id/usb-FTDI..., COM3) or a simulated chip (sim://0x410, sim://0x413?timing=instant). Tab completion offers the serial ports present, the ports of open sessions and sim:// names from the device catalog.'
            BaudRate = 'The line rate in baud. The bootloader measures it from the first 0x7F, so any standard rate from 1200 to 115200 works (some parts go higher). Default: 115200.'
            Parity   = 'Even (the default) is what the bootloader speaks: 8 data bits, even parity, 1 stop bit (8E1). None or Odd only for unusual set-ups; a bootloader never answers without even parity on the wire. Also taken from a Parity property: the endpoint of Start-Stm32Simulator -PseudoTerminal says None (a pseudo-terminal carries no parity), so it pipes straight into Connect-Stm32.'
            TimeoutMs = 'How long to wait, in milliseconds, for the reply to each short command (the sync byte, Get, addresses). Erase and write have their own, longer timeouts. Default: 500.'
            Retry    = 'How many more times to try the whole handshake when the chip does not answer, for example while you press RESET. Default: 0.'
            BootSequence = 'An entry (and optional exit) sequence in stm32flash''s -i syntax: entry[:exit]. Elements are rts or dtr (assert the line; on a USB-TTL adapter its pin goes low), -rts or -dtr (release it), brk (a 250 ms BREAK), -brk (ignored, as in stm32flash) and, beyond stm32flash, a delay such as 250ms. A comma between elements waits 100 ms, an ampersand does not; empty elements add 100 ms each. Host GPIO numbers are refused. Example: ''-rts&dtr,-dtr,:rts&dtr,-dtr,-rts''.'
            EnterBootloader = 'Runs the entry sequence for the usual wiring (DTR to RESET, RTS to BOOT0; an asserted line drives its pin low): release RTS (BOOT0 high), assert DTR (RESET), wait -ResetPulseMs, release DTR, wait -BootDelayMs. Implied by any of -ResetLine, -Boot0Line, -InvertReset, -InvertBoot0, -ResetPulseMs and -BootDelayMs.'
            ResetLine = 'The modem line wired to the chip''s RESET (nRST): Dtr (the default) or Rts.'
            Boot0Line = 'The modem line wired to BOOT0: Rts (the default), Dtr, or None when BOOT0 is strapped or switched by hand (only RESET is pulsed). With -ResetLine Rts alone, BOOT0 is taken to be on DTR.'
            InvertReset = 'The chip is held in reset while the reset line is released (an inverting transistor between the adapter and nRST).'
            InvertBoot0 = 'BOOT0 is high while its line is asserted (an inverting transistor between the adapter and BOOT0).'
            ResetPulseMs = 'How long RESET is held, in milliseconds. Default: 100.'
            BootDelayMs = 'How long to wait after releasing RESET before the first 0x7F, in milliseconds. Default: 100.'
        }
        Defaults    = @{ BaudRate = '115200'; Parity = 'Even'; TimeoutMs = '500'; Retry = '0'; ResetLine = 'Dtr'; Boot0Line = 'Rts'; ResetPulseMs = '100'; BootDelayMs = '100' }
        Inputs      = @(
            @{ Type = 'System.String'; Description = 'A port name, by value or from a Port or PortName property (a Get-Stm32Port or Start-Stm32Simulator object), and the parity from a Parity property.' }
        )
        Outputs     = @(
            @{ Type = 'Stm32.PowerShell.Stm32Session'; Description = 'The open session: Id, Port, BaudRate, Parity, DeviceName, ProductId, BootloaderVersion, Commands, IsOpen, IsReadProtected, InBootloader, Device.' }
        )
        Notes       = @'
Opening a port changes nothing on the chip, so Connect-Stm32 has no -WhatIf or -Confirm.

On Linux your user must be in the dialout group to open /dev/ttyUSB* and /dev/ttyACM*. A port that does not exist gives the error PortNotFound; one that another program holds, PortBusy.
'@
        Examples    = @(
            @{
                Title   = 'Connect to a simulated STM32F103'
                Code    = 'Connect-Stm32 -Port sim://0x410'
                Remarks = 'Connects to a simulated STM32F10xxx medium-density chip (product ID 0x410, bootloader 2.2) and returns the session. No board is needed.'
            }
            @{
                Title   = 'Connect to a board on a USB serial adapter and show what it is'
                Code    = 'Connect-Stm32 -Port /dev/ttyUSB0 | Get-Stm32Info'
                Remarks = 'Opens /dev/ttyUSB0 at 115200 baud, 8E1, and pipes the session to Get-Stm32Info. On Windows the port is a name such as COM3.'
            }
            @{
                Title   = 'Connect slowly, retrying while you reset the board'
                Code    = '$session = Connect-Stm32 -Port COM3 -BaudRate 57600 -Retry 5 -TimeoutMs 1000'
                Remarks = 'Tries the handshake up to six times at 57600 baud and keeps the session in a variable for the commands that follow.'
            }
            @{
                Title   = 'Try another bootloader version on the simulated STM32F407'
                Code    = 'Connect-Stm32 -Port ''sim://0x413?timing=instant&protocol=3.3'''
                Remarks = 'The simulated chip reports bootloader version 3.3 (which also offers Get Checksum) and answers without wire delays.'
            }
            @{
                Title   = 'Reset a board into its bootloader through DTR and RTS'
                Code    = 'Connect-Stm32 -Port /dev/ttyUSB0 -EnterBootloader'
                Remarks = 'With DTR wired to RESET and RTS to BOOT0 (the usual USB-TTL wiring), Connect-Stm32 sets BOOT0 high, pulses RESET for 100 ms, waits 100 ms and then synchronises. Disconnect-Stm32 -Reset later starts the application.'
            }
            @{
                Title   = 'Swapped lines, an inverted BOOT0 and slower timing'
                Code    = 'Connect-Stm32 -Port COM5 -ResetLine Rts -Boot0Line Dtr -InvertBoot0 -ResetPulseMs 50 -BootDelayMs 300'
                Remarks = 'RESET hangs on RTS, BOOT0 on DTR through an inverter (BOOT0 high while DTR is asserted).'
            }
            @{
                Title   = 'The same sequence stm32flash -i would use'
                Code    = 'Connect-Stm32 -Port /dev/ttyUSB0 -BootSequence ''-rts&dtr,-dtr,:rts&dtr,-dtr,-rts'''
                Remarks = 'Entry: release RTS and assert DTR, 100 ms, release DTR, 100 ms. The exit part after the colon is kept for Disconnect-Stm32 -Reset.'
            }
            @{
                Title   = 'A simulated chip that starts in its application'
                Code    = 'Connect-Stm32 -Port ''sim://0x410?boot0=0&timing=instant'' -EnterBootloader'
                Remarks = 'The simulated chip runs its application and ignores 0x7F; its RESET and BOOT0 hang on the session''s DTR and RTS, so the entry sequence brings it into the bootloader, as on a board. Without -EnterBootloader the result is BootloaderNoResponse.'
            }
            @{
                Title   = 'A board behind a serial server'
                Code    = 'Connect-Stm32 -Port tcp://192.168.1.20:3333'
                Remarks = 'A raw TCP stream to ser2net or ESP-link; the server''s port must be set to 8E1 and the baud rate.'
            }
            @{
                Title   = 'Pick the adapter from the ports present'
                Code    = 'Get-Stm32Port -Name ''*FTDI*'' | Connect-Stm32'
                Remarks = 'Get-Stm32Port objects have a Port property, which binds to -Port by property name.'
            }
        )
        Links       = @('Get-Stm32Info', 'Get-Stm32Session', 'Disconnect-Stm32', 'Get-Stm32Port', 'Start-Stm32Simulator', 'about_Stm32')
    }

    'Disconnect-Stm32' = @{
        Synopsis    = 'Closes a session and releases its port.'
        Description = @'
Disconnect-Stm32 closes the link of a session and removes it from the runspace's list. Nothing is sent to the chip, which stays in its bootloader (or keeps running its application); a simulated chip keeps its memory for the next Connect-Stm32 with the same sim:// name.

The session comes from the pipeline (Connect-Stm32 or Get-Stm32Session output, or any object with a Session property), from -SessionId, or, when neither is given, is the single open session. Get-Stm32Session | Disconnect-Stm32 closes them all. Disconnecting a session that is already closed does nothing.
'@
        Parameters  = @{
            Session   = 'The session to close: from Connect-Stm32 or Get-Stm32Session, by value or from a Session property.'
            SessionId = 'The Id of the session to close (Get-Stm32Session lists them). Tab completion offers the open ones.'
            PassThru  = 'Returns the closed session (IsOpen is then False).'
            Reset     = 'Before closing, runs the session''s exit sequence on DTR/RTS (BOOT0 low, pulse RESET), so the chip starts its application. The session must have been opened with -EnterBootloader, the line parameters or -BootSequence ''entry:exit''; otherwise the error NoExitSequence.'
            ExitSequence = 'An exit sequence in stm32flash''s -i syntax (one sequence, no colon) to run before closing, instead of the session''s own; implies -Reset. Example: ''rts&dtr,-dtr,-rts''.'
        }
        Inputs      = @(
            @{ Type = 'Stm32.PowerShell.Stm32Session'; Description = 'A session, by value or from a Session property.' }
            @{ Type = 'System.Int32'; Description = 'A session Id from a SessionId property.' }
        )
        Outputs     = @(
            @{ Type = 'None'; Description = 'Nothing, unless -PassThru is given.' }
            @{ Type = 'Stm32.PowerShell.Stm32Session'; Description = 'With -PassThru: the closed session.' }
        )
        Notes       = 'ConfirmImpact is Low, so it does not prompt by default; -WhatIf shows what would be closed. Scripts can pass -Confirm:$false to be sure it never prompts.'
        Examples    = @(
            @{
                Title   = 'Close every session'
                Code    = 'Get-Stm32Session | Disconnect-Stm32'
                Remarks = 'Get-Stm32Session returns a snapshot, so every open session of the runspace is closed.'
            }
            @{
                Title   = 'Close one session by Id and see it closed'
                Code    = 'Disconnect-Stm32 -SessionId 2 -PassThru'
                Remarks = 'Closes session 2 and returns it; its IsOpen property is False.'
            }
            @{
                Title   = 'Close the session of a pipeline when done'
                Code    = @'
Connect-Stm32 sim://0x410 | Get-Stm32Info
Disconnect-Stm32
'@
                Remarks = 'With a single open session, Disconnect-Stm32 needs no argument.'
            }
            @{
                Title   = 'Start the application through DTR and RTS'
                Code    = @'
$s = Connect-Stm32 -Port /dev/ttyUSB0 -EnterBootloader
# ... program the chip ...
$s | Disconnect-Stm32 -Reset
'@
                Remarks = 'The exit sequence pulls BOOT0 low, pulses RESET and releases the lines: the chip boots its application.'
            }
            @{
                Title   = 'An exit sequence of your own'
                Code    = 'Disconnect-Stm32 -SessionId 1 -ExitSequence ''rts&dtr,-dtr,,-rts'''
                Remarks = 'Runs the given sequence (stm32flash -i syntax) before closing session 1: BOOT0 low and RESET active together, 100 ms, RESET released, 200 ms, then RTS released.'
            }
        )
        Links       = @('Connect-Stm32', 'Get-Stm32Session', 'about_Stm32')
    }

    'Get-Stm32Session' = @{
        Synopsis    = 'Lists the open sessions of this runspace.'
        Description = @'
Get-Stm32Session returns the sessions opened with Connect-Stm32 in this runspace, in the order they were opened. The list is a snapshot, so piping it to Disconnect-Stm32 is safe. Session Ids only ever increase and are never reused.

Sessions belong to the runspace that opened them: a session made in a thread job, a ForEach-Object -Parallel block or another [powershell] instance is not listed here.
'@
        Parameters  = @{
            Id = 'The Id (or Ids) of the sessions to return. An Id that no session has gives the error SessionNotFound. Tab completion offers the open ones.'
        }
        Inputs      = @(
            @{ Type = 'System.Int32[]'; Description = 'Session Ids from an Id or SessionId property.' }
        )
        Outputs     = @(
            @{ Type = 'Stm32.PowerShell.Stm32Session'; Description = 'One object per session.' }
        )
        Examples    = @(
            @{
                Title   = 'List the sessions'
                Code    = 'Get-Stm32Session'
                Remarks = 'Shows a table of Id, Port, BaudRate, device, product ID, bootloader version and whether each session is open.'
            }
            @{
                Title   = 'Get one session and ask for its chip''s details'
                Code    = 'Get-Stm32Session -Id 1 | Get-Stm32Info'
                Remarks = 'Pipes session 1 to Get-Stm32Info.'
            }
        )
        Links       = @('Connect-Stm32', 'Disconnect-Stm32', 'about_Stm32')
    }

    'Get-Stm32Info' = @{
        Synopsis    = 'Shows what the chip behind a session is: device, bootloader, commands, memory map and protection.'
        Description = @'
Get-Stm32Info returns a Stm32DeviceInfo object for the chip of a session: the device name and product ID, the bootloader version and its ID byte (where readable), the bootloader commands the chip offers, the flash size (from the chip's flash-size register where it can be read, else from the catalog) and start address, the page or sector layout, the RAM free for the host, the option-byte area, the system memory, the 96-bit unique ID (where readable) and whether read protection is on.

The session comes from the pipeline (Connect-Stm32 or Get-Stm32Session output, or any object with a Session property), from -SessionId, or, when neither is given, is the single open session. The object carries its Session, so it pipes on to the next cmdlet.
'@
        Parameters  = @{
            Session   = 'The session whose chip to describe: from Connect-Stm32 or Get-Stm32Session, by value or from a Session property.'
            SessionId = 'The Id of the session (Get-Stm32Session lists them). Tab completion offers the open ones.'
        }
        Inputs      = @(
            @{ Type = 'Stm32.PowerShell.Stm32Session'; Description = 'A session, by value or from a Session property.' }
            @{ Type = 'System.Int32'; Description = 'A session Id from a SessionId property.' }
        )
        Outputs     = @(
            @{ Type = 'Stm32.PowerShell.Stm32DeviceInfo'; Description = 'DeviceName, Family, ProductId, ProductIdHex, BootloaderVersion, BootloaderId, Commands, FlashStart, FlashSize, FlashSizeSource, FlashLayout, EraseUnit, PageSize, PageCount, Ram, OptionBytes, SystemMemory, UniqueId, IsReadProtected, Warnings, Device and Session.' }
        )
        Notes       = 'The values come from the identification Connect-Stm32 did; Get-Stm32Info sends nothing to the chip.'
        Examples    = @(
            @{
                Title   = 'Identify a simulated STM32F103'
                Code    = 'Connect-Stm32 -Port sim://0x410 | Get-Stm32Info'
                Remarks = 'Shows STM32F10xxx Medium-density, product ID 0x410, bootloader 2.2, its command list and 128 KiB of flash in 1 KiB pages.'
            }
            @{
                Title   = 'Read single values'
                Code    = @'
$info = Get-Stm32Info -SessionId 1
"{0}: {1} KiB of flash, {2}" -f $info.DeviceName, ($info.FlashSize / 1KB), $info.FlashLayout
'@
                Remarks = 'Keeps the object and prints the device name, the flash size and the layout.'
            }
            @{
                Title   = 'Check read protection before reading flash'
                Code    = 'if ((Get-Stm32Info).IsReadProtected) { Write-Warning ''The chip is read-protected.'' }'
                Remarks = 'Uses the single open session.'
            }
        )
        Links       = @('Connect-Stm32', 'Get-Stm32Device', 'about_Stm32')
    }

    'Get-Stm32Device' = @{
        Synopsis    = 'Lists the device catalog: which STM32 parts the module knows, with their memory maps.'
        Description = @'
Get-Stm32Device returns rows of the built-in device catalog (one per product ID, as the bootloader's Get ID command reports it): name, family, flash, page or sector layout, RAM, option bytes, system memory and flags. It answers "is my chip supported?" before any wiring.

-Name takes wildcards. A name without wildcards also matches as a part number: STM32F030 finds the rows STM32F030x8/F05xxx and STM32F03xx4/6, and STM32F103C8T6 finds the STM32F10xxx rows. -ProductId finds the row for a product ID such as 0x410.

A chip whose product ID is not in the catalog still connects, as a generic device, but cannot be erased or written until the catalog has a row for it.
'@
        Parameters  = @{
            Name      = 'Device names or part numbers; wildcards are allowed (''*F4*''). A name without wildcards that matches nothing gives the error DeviceNotFound.'
            ProductId = 'Product IDs, as the bootloader''s Get ID command reports them (0x410 for STM32F10xxx medium-density). An ID the catalog lacks gives the error DeviceNotFound.'
        }
        Inputs      = @(
            @{ Type = 'System.String[]'; Description = 'Names, by value or from a Name or DeviceName property.' }
            @{ Type = 'System.Int32[]'; Description = 'Product IDs from a ProductId property (a session pipes to its catalog row).' }
        )
        Outputs     = @(
            @{ Type = 'Stm32.Protocol.Devices.DeviceInfo'; Description = 'One catalog row per device: ProductId, ProductIdHex, Name, Family, Flash, Layout, Ram, OptionBytes, SystemMemory, Flags, CanProgram.' }
        )
        Examples    = @(
            @{
                Title   = 'Is my STM32F030 supported?'
                Code    = 'Get-Stm32Device -Name STM32F030'
                Remarks = 'Lists the catalog rows for the STM32F030 parts with their flash, erase unit and RAM.'
            }
            @{
                Title   = 'Look a product ID up'
                Code    = 'Get-Stm32Device -ProductId 0x413 | Format-List'
                Remarks = 'Shows the whole row for product ID 0x413 (STM32F40xxx/41xxx), including its sector layout.'
            }
            @{
                Title   = 'List every F4 part'
                Code    = 'Get-Stm32Device -Name ''STM32F4*'''
                Remarks = 'Wildcards match the catalog names.'
            }
        )
        Links       = @('Get-Stm32Info', 'Connect-Stm32', 'about_Stm32')
    }

    'Get-Stm32Port' = @{
        Synopsis    = 'Lists the serial ports present, with what the operating system knows about each.'
        Description = @'
Get-Stm32Port lists the serial ports of this machine. On Linux it reads /sys/class/tty (ports with hardware behind them; the placeholder ttyS ports of the platform bus are left out, as pseudo-terminals are) and /dev/serial/by-id: the driver, the bus, and for USB adapters the vendor and product ids, manufacturer, product, serial number, interface and a stable by-id path that survives replugging. On Windows and macOS it lists the names SerialPort.GetPortNames() returns.

Each object has a Port property, so Get-Stm32Port | Connect-Stm32 binds it by property name. The -Port completer of Connect-Stm32 offers the same ports, with their descriptions as tooltips.
'@
        Parameters  = @{
            Name = 'Filters by port, kernel name, by-id path, manufacturer, product or serial number; wildcards are allowed. A name without wildcards that matches nothing gives the error PortNotFound.'
        }
        Inputs      = @(
            @{ Type = 'None'; Description = 'Get-Stm32Port takes no pipeline input.' }
        )
        Outputs     = @(
            @{ Type = 'Stm32.Protocol.Transport.SerialPortDescription'; Description = 'Port, Name, ByIdPath, Driver, Subsystem, UsbVendorId, UsbProductId, Manufacturer, Product, SerialNumber, Interface, Description.' }
        )
        Notes       = 'On Linux, opening /dev/ttyUSB* and /dev/ttyACM* needs membership of the dialout group (sudo usermod -aG dialout $USER, then log in again).'
        Examples    = @(
            @{
                Title   = 'What is plugged in?'
                Code    = 'Get-Stm32Port'
                Remarks = 'A table of the ports with their driver, USB ids and description.'
            }
            @{
                Title   = 'The stable path of an FTDI adapter'
                Code    = 'Get-Stm32Port -Name ''*FT232R*'' | Select-Object -ExpandProperty ByIdPath'
                Remarks = 'The /dev/serial/by-id path stays the same when the adapter is plugged into another USB socket; use it with Connect-Stm32 -Port.'
            }
            @{
                Title   = 'Pipe a port into Connect-Stm32'
                Code    = 'Get-Stm32Port -Name ttyUSB0 | Connect-Stm32 -EnterBootloader'
                Remarks = 'The Port property binds to Connect-Stm32 -Port.'
            }
        )
        Links       = @('Connect-Stm32', 'about_Stm32')
    }

    'Start-Stm32Simulator' = @{
        Synopsis    = 'Serves a simulated STM32 bootloader to any client (stm32flash, another PowerShell) on a pseudo-terminal, a TCP port or a serial port.'
        Description = @'
Start-Stm32Simulator makes one simulated chip and serves it until Ctrl+C, Stop-Job or -TimeoutSec. As soon as it serves, it writes one object with the endpoint (Endpoint, Port, Path, Kind, Device, ProductId, Protocol, Timing, BaudRate, LineSettings) and keeps running: commands later in the pipeline get the object at once, and in a thread job the first Receive-Job returns it.

-PseudoTerminal (Linux) creates a pseudo-terminal and reports the path a client opens like a serial port. A pseudo-terminal carries no parity, so clients use 8N1 (stm32flash -m 8n1, Connect-Stm32 -Parity None); with -Timing Realistic the chip still charges 11 bit times per byte at -BaudRate, as a real 8E1 line would. -Port tcp://127.0.0.1:0 listens on a free TCP port (the endpoint says which) and serves one client at a time, like ser2net; -Port with a serial port name serves on a real port (for example to a board programmer at the other end of a null-modem cable).

The chip keeps its state across clients, as a board on the desk does: a second client finds it still synchronised and its flash written. -Image loads a firmware file (bin at the start of flash, hex, srec, elf) before serving.
'@
        Parameters  = @{
            Device = 'The chip to simulate: a product ID (0x410, 0x413) or a catalog name (Get-Stm32Device lists them).'
            Port = 'Where to serve: tcp://<address>:<port> (port 0 picks a free one; tcp://0.0.0.0:3333 serves other machines) or a serial port (/dev/ttyUSB1, COM4).'
            PseudoTerminal = 'Creates a Linux pseudo-terminal and serves on it; the endpoint object''s Path is what clients open (8N1).'
            Timing = 'Realistic (the default): every byte costs 11 bit times at -BaudRate and erase and program take the family''s typical time. Instant: no delays.'
            BaudRate = 'The line rate the realistic timing uses, and the rate of a served serial port. Default: 115200.'
            Protocol = 'The bootloader version the chip reports: 2.2, 3.1, 3.3 or 4.0. Default: the family''s own (2.2 on F0/F1, 3.1 later).'
            Image = 'A firmware file to start with: raw binary (placed at the start of flash), Intel HEX, S-record or ELF.'
            TimeoutSec = 'Stops serving after this many seconds. 0 (the default) serves until Ctrl+C or Stop-Job.'
            Parity = 'The parity of a served serial port: Even (the bootloader''s 8E1, the default), None or Odd. Not used on pseudo-terminals and TCP.'
        }
        Defaults    = @{ Timing = 'Realistic'; BaudRate = '115200'; TimeoutSec = '0'; Parity = 'Even' }
        Inputs      = @(
            @{ Type = 'System.String'; Description = 'A device from a Device or ProductId property.' }
        )
        Outputs     = @(
            @{ Type = 'Stm32.PowerShell.Stm32SimulatorEndpoint'; Description = 'One object when the chip is served: Endpoint, Port, Path, Kind, Device, ProductId, Protocol, Timing, BaudRate, LineSettings, Parity (Port and Parity bind to Connect-Stm32).' }
        )
        Notes       = 'The pseudo-terminal and the TCP port cannot drive modem lines, so clients cannot use boot sequences there. The served chip is not a sim:// chip of the runspace: it lives only as long as Start-Stm32Simulator runs.'
        Examples    = @(
            @{
                Title   = 'Serve an STM32F103 to stm32flash'
                Code    = @'
$job = Start-ThreadJob { Start-Stm32Simulator -Device 0x410 -PseudoTerminal -TimeoutSec 600 }
while (-not ($sim = Receive-Job $job)) { Start-Sleep -Milliseconds 50 }
stm32flash -m 8n1 -w firmware.bin -v $sim.Path
Stop-Job $job
'@
                Remarks = 'The thread job writes the endpoint as soon as it serves; stm32flash opens the pseudo-terminal with 8N1.'
            }
            @{
                Title   = 'Serve on TCP and connect from this session'
                Code    = @'
$job = Start-ThreadJob { Start-Stm32Simulator 0x413 tcp://127.0.0.1:0 -Timing Instant }
while (-not ($sim = Receive-Job $job)) { Start-Sleep -Milliseconds 50 }
$sim | Connect-Stm32 | Get-Stm32Info
'@
                Remarks = 'The endpoint object''s Port property binds to Connect-Stm32 -Port.'
            }
            @{
                Title   = 'A chip that already holds a program, with another bootloader version'
                Code    = 'Start-Stm32Simulator -Device STM32F40xxx/41xxx -PseudoTerminal -Protocol 3.3 -Image ./blinky.hex -Verbose'
                Remarks = 'Serves until Ctrl+C; -Verbose shows the endpoint and how many bytes were loaded.'
            }
        )
        Links       = @('Connect-Stm32', 'Get-Stm32Device', 'about_Stm32')
    }
}
