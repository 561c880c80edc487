# The prose of the cmdlet help. New-Stm32Help.ps1 turns it into en-US/Stm32.PowerShell.dll-Help.xml.
# Blank lines separate paragraphs.
@{
    'Connect-Stm32' = @{
        Synopsis    = 'Opens a serial port (or a simulated chip), synchronises with the STM32 bootloader and returns a session.'
        Description = @'
Connect-Stm32 opens the port, sends the bootloader's synchronisation byte 0x7F, and identifies the chip with the Get, Get Version and Get ID commands, and sends nothing more. The first cmdlet that works with the chip then confirms its identity (a second Get ID), reads the flash-size register and so learns whether the chip is read-protected (a read-protected chip refuses every read); until then the session's IsReadProtected and ReadProtection are empty. Get-Stm32Info also reads the unique ID and the bootloader ID. The result is a Stm32Session object that every other cmdlet of the module takes from the pipeline or by -SessionId.

When the last session on the same port in this runspace ended with the chip still in its bootloader and idle (Disconnect-Stm32 without -Reset, after commands that all finished), Connect-Stm32 sends 0x7F twice at once: a chip in its command loop answers that invalid pair with a NACK straight away, so reconnecting costs no wait (stm32flash waits half a second there, the module otherwise a 20 ms probe). A chip that was reset in the meantime ACKs the first 0x7F and is synchronised all the same. -Verbose says when this happens.

The chip must already be in its bootloader: BOOT0 high (BOOT1 low where the part has it), then a reset. See Get-Help about_Stm32.

Ports are serial port names (/dev/ttyUSB0, /dev/serial/by-id/..., COM3) or simulated chips: sim://<product ID or name>, for example sim://0x410, with the options ?timing=instant|realistic (realistic is the default), &protocol=2.2|3.1|3.3|4.0 (the bootloader version; the default follows the family) &boot0=0 (the chip runs its application and never answers) and &rdp=0|1|2 (programs the read-protection level, which stays on the chip). A simulated chip lives as long as the runspace: the same name reaches the same chip, so its memory survives Disconnect-Stm32 and Connect-Stm32.

A port may also be tcp://host:port: a raw byte stream to a serial server (ser2net, ESP-link, a lab serial server, or Start-Stm32Simulator). Line settings are the server's business there. A server that accepts the connection and closes it before sending anything is busy with another client (or refuses us): that is the error PortBusy, not "no response". Writes to the server give up after 5 s when it takes nothing (a stalled server), as writes to a serial port do.

Boards that wire RESET and BOOT0 to the adapter's DTR and RTS can be put into the bootloader by Connect-Stm32 itself: -EnterBootloader with the usual wiring (DTR to RESET, RTS to BOOT0, an asserted line drives its pin low), -ResetLine, -Boot0Line, -InvertReset and -InvertBoot0 for other wirings, -ResetPulseMs and -BootDelayMs for the timing, or -BootSequence with stm32flash's -i syntax. The entry sequence sets BOOT0 high, pulses RESET and waits; it runs again before each -Retry. The session keeps the exit sequence (BOOT0 low, pulse RESET) for Disconnect-Stm32 -Reset. A pseudo-terminal or a TCP stream has no modem lines: the error ModemLinesNotSupported says so. A sim:// chip has its RESET and BOOT0 wired to the session's DTR and RTS (option &wiring=), so sim://0x410?boot0=0 answers only after an entry sequence.

One session per port: a port that an open session holds is refused with the error PortInUse. Warnings about the chip (an unknown product ID, a register that could not be read) are written with Write-Warning.

When nothing answers, the error (BootloaderNoResponse) says what was sent and what came back, then lists the likely causes in order: the boot pins and reset, TX and RX crossed, the baud rate, 8E1 parity on the adapter, another program holding the port, read protection.
'@
        Parameters  = @{
            Port     = 'The serial port (/dev/ttyUSB0, /dev/serial/by-id/usb-FTDI..., COM3) or a simulated chip (sim://0x410, sim://0x413?timing=instant, sim://STM32F103C8). Tab completion offers the serial ports Get-Stm32Port lists (with their /dev/serial/by-id paths), the ports of open sessions and sim:// names from the device catalog; sim:// followed by a name or part number (sim://STM32F401) offers the rows it stands for.'
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

On Linux your user must be in the dialout group to open /dev/ttyUSB* and /dev/ttyACM*. A port that does not exist gives the error PortNotFound; one that another program holds, PortBusy; a path that is no serial port (a directory, a regular file, /dev/null), InvalidPortName saying what it is. A pseudo-terminal is opened 8N1 whatever -Parity says (it carries no parity).

On Windows a COM port may be written COM12, com12, COM12:, \\.\COM12 or as Device Manager shows it (USB Serial Port (COM12)): all open COM12.
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
                SimPort = 'sim://0x410?wiring=rts:!dtr'
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
                Code    = @'
$s = Connect-Stm32 -Port sim://0x410
Disconnect-Stm32 -SessionId $s.Id -PassThru
'@
                Remarks = 'Closes that session and returns it; its IsOpen property is False. Ids are never reused, so take them from the session (or from Get-Stm32Session), not from an earlier run.'
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
                Code    = @'
$s = Connect-Stm32 -Port /dev/ttyUSB0
# ... program the chip ...
$s | Disconnect-Stm32 -ExitSequence 'rts&dtr,-dtr,,-rts'
'@
                Remarks = 'Runs the given sequence (stm32flash -i syntax) before closing the session: BOOT0 low and RESET active together, 100 ms, RESET released, 200 ms, then RTS released.'
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
                Code    = @'
$s = Connect-Stm32 -Port sim://0x410
Get-Stm32Session -Id $s.Id | Get-Stm32Info
'@
                Remarks = 'Finds the session by its Id and pipes it to Get-Stm32Info. Ids are never reused: take them from the session, not from an earlier run.'
            }
        )
        Links       = @('Connect-Stm32', 'Disconnect-Stm32', 'about_Stm32')
    }

    'Get-Stm32Info' = @{
        Synopsis    = 'Shows what the chip behind a session is: device, bootloader, commands, memory map and protection.'
        Description = @'
Get-Stm32Info returns a Stm32DeviceInfo object for the chip of a session: the device name and product ID, the bootloader version and its ID byte (where readable), the bootloader commands the chip offers, the flash size (from the chip's flash-size register where it can be read, else from the catalog) and start address, the page or sector layout, the RAM free for the host, the option-byte area, the system memory, the 96-bit unique ID (where readable) and whether read protection is on.

Read protection is reported only as far as it was checked: IsReadProtected is $true when the chip refused a Read of flash (ReadProtection Level1) and $false when the Read worked (ReadProtection Level0, or the level in the RDP byte where the option bytes were read). For a chip whose catalog row has no memory map (a product ID the catalog does not know, or a row without flash addresses) there is no flash to try a Read on, so both are empty ($null) and the list view says unknown: nothing was read, and that does not mean the chip is open. Where such a row still names the option bytes and they could be read, ReadProtection is the level in the RDP byte and IsReadProtected is $false (a read-protected chip refuses that Read too).

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
            @{ Type = 'Stm32.PowerShell.Stm32DeviceInfo'; Description = 'DeviceName, Family, ProductId, ProductIdHex, BootloaderVersion, BootloaderId, Commands, FlashStart, FlashSize, FlashSizeSource, FlashLayout, EraseUnit, PageSize, PageCount, Ram, OptionBytes, SystemMemory, UniqueId, IsReadProtected, ReadProtection, WriteProtectedPages, WriteProtection, Warnings, Device and Session. IsReadProtected (bool) and ReadProtection (Level0 or Level1) are $null where read protection was not checked (no memory map in the catalog, and no option bytes read).' }
        )
        Notes       = 'The product ID, bootloader version and commands come from the identification Connect-Stm32 did; the flash size and read protection from the check the first cmdlet of the session made (a Read that the chip refuses means RDP level 1; for a chip without a memory map in the catalog no Read of flash is tried, and read protection stays unknown until some Read is answered or refused: the option bytes Get-Stm32Info reads where the row names them, or a Read-Stm32Memory of RAM); the unique ID and bootloader ID are read once, by the first Get-Stm32Info of the session. Write protection is read fresh: the write-protected pages (sectors on F2/F4/F7) from the option bytes, with one short Read, where the family lets the bootloader read them (not on a read-protected chip, nor on H7, L5, U5 and H5; WriteProtection then says why).'
        Examples    = @(
            @{
                Title   = 'Identify a simulated STM32F103'
                Code    = 'Connect-Stm32 -Port sim://0x410 | Get-Stm32Info'
                Remarks = 'Shows STM32F10xxx Medium-density, product ID 0x410, bootloader 2.2, its command list and 128 KiB of flash in 1 KiB pages.'
            }
            @{
                Title   = 'Read single values'
                Code    = @'
$info = Get-Stm32Info
"{0}: {1} KiB of flash, {2}" -f $info.DeviceName, ($info.FlashSize / 1KB), $info.FlashLayout
'@
                Remarks = 'Uses the single open session, keeps the object and prints the device name, the flash size and the layout.'
            }
            @{
                Title   = 'Check read protection before reading flash'
                Code    = @'
$rdp = (Get-Stm32Info).IsReadProtected
if ($rdp) { Write-Warning 'The chip is read-protected.' }
elseif ($null -eq $rdp) { Write-Warning 'Read protection is unknown: the catalog has no memory map for this chip.' }
'@
                Remarks = 'Uses the single open session. $null is not $false: it means read protection was not checked.'
            }
        )
        Links       = @('Connect-Stm32', 'Get-Stm32Device', 'about_Stm32')
    }

    'Get-Stm32Device' = @{
        Synopsis    = 'Lists the device catalog: which STM32 parts the module knows, with their memory maps.'
        Description = @'
Get-Stm32Device returns rows of the built-in device catalog (one per product ID, as the bootloader's Get ID command reports it): name, family, flash, page or sector layout, RAM, option bytes, system memory and flags. It answers "is my chip supported?" before any wiring.

-Name takes a catalog name, a part number or wildcards. A part number is read as ST's ordering information writes it: STM32, the line (F401), the pin count (R), the flash size (E), then package, temperature range and options, any tail left off; "STM32" may be left off too. It finds the rows of the product IDs the part can have, by its line and flash-size letter: STM32F401RET6 and STM32F401RE find 0x433 (STM32F401xD(E)), STM32F103C8T6 finds 0x410 (medium-density), STM32F072RB finds 0x448 (STM32F070xB/F071xx/F72xx); a line alone (STM32F103) finds every row the line spans. Wildcards match the names and the parts a row covers (*F072*). A part no row covers gives the error DeviceNotFound saying which flash sizes the catalog has for its line, or that it has no row for the line; a row known by name only (a new family without its memory map yet) comes with a warning. -ProductId finds the row for a product ID such as 0x410.

A chip whose product ID is not in the catalog still connects, as a generic device, but cannot be erased or written until the catalog has a row for it: Import-Stm32Device adds rows of your own from a CSV or JSON file, and those win over built-in rows with the same product ID.
'@
        Parameters  = @{
            Name      = 'Catalog names or part numbers (STM32F401RET6, STM32F103C8, F072RB); wildcards are allowed (''*F072*'', ''STM32F4*'') and match names and the parts a row covers. A name without wildcards that matches nothing gives the error DeviceNotFound. Tab completion offers the catalog names and the STM32 lines they cover.'
            ProductId = 'Product IDs, as the bootloader''s Get ID command reports them (0x410 for STM32F10xxx medium-density). An ID the catalog lacks gives the error DeviceNotFound. Tab completion offers the catalog''s product IDs.'
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
                Remarks = 'Lists the catalog rows for the STM32F030 parts with their flash, erase unit and RAM: 0x444, 0x440 and 0x442, as the line spans three product IDs by flash size.'
            }
            @{
                Title   = 'Look the part number on the chip up'
                Code    = 'Get-Stm32Device -Name STM32F401RET6'
                Remarks = 'Returns the one row for it, 0x433 STM32F401xD(E): the flash-size letter E (512 KB) picks it over 0x423, which covers the F401 parts with B and C.'
            }
            @{
                Title   = 'Look a product ID up'
                Code    = 'Get-Stm32Device -ProductId 0x413 | Format-List'
                Remarks = 'Shows the whole row for product ID 0x413 (STM32F40xxx/41xxx), including its sector layout.'
            }
            @{
                Title   = 'List every F4 part'
                Code    = 'Get-Stm32Device -Name ''STM32F4*'''
                Remarks = 'Wildcards match the catalog names and the parts the rows cover: ''*F072*'' finds STM32F070xB/F071xx/F72xx.'
            }
        )
        Links       = @('Get-Stm32Info', 'Connect-Stm32', 'about_Stm32')
    }

    'Import-Stm32Device' = @{
        Synopsis    = 'Adds device rows of your own to the catalog from a CSV or JSON file: new product IDs, or corrections that win over the built-in rows.'
        Description = @'
Import-Stm32Device reads device rows from a file and adds them to the device catalog, so that Get-Stm32Device lists them, Connect-Stm32 identifies a chip with such a product ID (and can erase and write it when the row has a flash map), and a simulated chip sim://<product ID> exists for it. It returns the rows it loaded.

A CSV file has a header row with the columns of the built-in devices.csv: pid_hex, name, ram_start, ram_end, flash_start, flash_end, page_size_or_sector_layout, option_bytes_start, option_bytes_end (inclusive), system_memory_start, system_memory_end, flags, pages_per_sector, and optionally bootloader_ids, bootloader_id_address, source and notes. Addresses are hexadecimal (0x08000000) or decimal. The layout is a page size (1024) or a sector list (16K x4; 64K x1; 128K (repeats)).

A JSON file (.json, or any file that starts with '[') is an array of objects whose property names are those columns, for example [ { "pid_hex": "0x999", "name": "My part", "flash_start": "0x08000000", ... } ]. Values may be strings, JSON numbers (decimal), null (empty), or arrays for flags and bootloader_ids.

A user row wins over a built-in row with the same product ID. The user rows are process-wide: every runspace of the process sees them. Each Import-Stm32Device replaces the user rows loaded before, as a whole (to keep several, import their files in one call: Import-Stm32Device a.csv, b.json); sessions already open keep the row they were identified with.

A bad row gives the error FileInvalid, naming the file and the line and what is wrong (a product ID that is not one, an address that is not a number, an end below its start, flash without a layout, a product ID twice, an unknown JSON property). Then nothing is imported: the catalog stays as it was.
'@
        Parameters  = @{
            Path        = 'The CSV or JSON files. Wildcards are allowed. A path that matches nothing gives the error FileNotFound.'
            LiteralPath = 'The files, taken literally (no wildcards). Files piped from Get-ChildItem bind here (alias PSPath).'
        }
        Inputs      = @(
            @{ Type = 'System.String[]'; Description = 'Paths, by value (-Path) or from a PSPath property (-LiteralPath).' }
        )
        Outputs     = @(
            @{ Type = 'Stm32.Protocol.Devices.DeviceInfo'; Description = 'The catalog rows loaded, one per product ID.' }
        )
        Notes       = 'The rows live as long as the process and are not saved: import the file again in a new session (for example from your profile). Built-in rows can be seen again by importing a file with no rows, such as a JSON file holding [].'
        Examples    = @(
            @{
                Title   = 'Add a part the catalog lacks, from a CSV file'
                Code    = @'
Set-Content my-devices.csv 'pid_hex,name,ram_start,ram_end,flash_start,flash_end,page_size_or_sector_layout,option_bytes_start,option_bytes_end,system_memory_start,system_memory_end,flags,pages_per_sector', '0x999,My STM32F1 clone,0x20000200,0x20005000,0x08000000,0x08010000,1024,0x1FFFF800,0x1FFFF80F,0x1FFFF000,0x1FFFF800,,4'
Import-Stm32Device ./my-devices.csv
Get-Stm32Device -ProductId 0x999
'@
                Remarks = 'Writes a one-row CSV file, imports it and looks the new product ID up. A chip answering with product ID 0x999 is now identified as My STM32F1 clone, with 64 KiB of flash in 1 KiB pages.'
            }
            @{
                Title   = 'Add a part from a JSON file and try it on a simulated chip'
                Code    = @'
Import-Stm32Device ./devices.json
Connect-Stm32 -Port sim://0x999 | Get-Stm32Info
'@
                Remarks = 'devices.json holds [ { "pid_hex": "0x999", "name": "My part", "ram_start": "0x20001000", "ram_end": "0x20005000", "flash_start": "0x08000000", "flash_end": "0x08020000", "page_size_or_sector_layout": 1024, "system_memory_start": "0x1FFFF000", "system_memory_end": "0x1FFFF800" } ]. The simulated chip takes its memory map from the imported row.'
            }
        )
        Links       = @('Get-Stm32Device', 'Connect-Stm32', 'about_Stm32')
    }

    # ------------------------------------------------------------------ protection and option bytes (issue 6)

    'Get-Stm32OptionByte' = @{
        Synopsis    = 'Reads the option bytes of the chip and decodes them per family: read protection, watchdog and reset bits, nBOOT bits, data bytes, write protection, and the raw bytes.'
        Description = @'
Get-Stm32OptionByte reads the option-byte block of the chip behind a session with the bootloader's Read Memory command and decodes it for the chip's family: F0/F1/F3 (byte and complement pairs at 0x1FFFF800), F2/F4 (the 0x1FFFC000 layout), F7, L0/L1, and the 32-bit option words of L4, G0, G4, WB and WL. Each field the family has is a property (ReadProtection, RdpByte, SoftwareWatchdog, NRstStop, NRstStdby, NBoot0, NBoot1, NSwBoot0, NBootSel, BorLevel, Data0, Data1); fields the family lacks are null. WriteProtectedPages lists the write-protected pages (sectors on F2/F4/F7), and Raw holds the block byte for byte, complements included.

The default view shows the fields one per line, then the raw block 16 bytes a row with addresses. The object carries its Session, so it pipes on to Set-Stm32OptionByte or Get-Stm32Info.

A read-protected chip refuses the read: the error ReadProtected explains that Unprotect-Stm32Flash -ReadOut lifts the protection and that this erases the whole flash. On H7, L5, U5 and H5 the option bytes are registers the bootloader cannot read or write as memory: the error OptionBytesNotSupported says so (STM32CubeProgrammer or a debug probe can change them).
'@
        Parameters  = @{
            Session   = 'The session whose chip to read: from Connect-Stm32 or Get-Stm32Session, by value or from a Session property.'
            SessionId = 'The Id of the session (Get-Stm32Session lists them). Tab completion offers the open ones.'
        }
        Inputs      = @(
            @{ Type = 'Stm32.PowerShell.Stm32Session'; Description = 'A session, by value or from a Session property.' }
            @{ Type = 'System.Int32'; Description = 'A session Id from a SessionId property.' }
        )
        Outputs     = @(
            @{ Type = 'Stm32.PowerShell.Stm32OptionByte'; Description = 'Family, Layout, Address, ReadProtection, RdpByte, SoftwareWatchdog, NRstStop, NRstStdby, NBoot0, NBoot1, NSwBoot0, NBootSel, BorLevel, Data0, Data1, Fields, WriteProtectedSectors, WriteProtectedPages, WriteProtection, Raw, RawHex, BadComplementOffsets, OptionBytes (the decoded block from Stm32.Protocol) and Session.' }
        )
        Notes       = 'Reading changes nothing on the chip. The session''s WriteProtectedPages property is updated from what was read.'
        Examples    = @(
            @{
                Title   = 'Show the option bytes of a simulated STM32F103'
                Code    = 'Connect-Stm32 -Port sim://0x410 | Get-Stm32OptionByte'
                Remarks = 'Shows ReadProtection Level0 (RDP 0xA5), the watchdog and reset bits, Data0 and Data1, write protection none, and the 16 raw bytes at 0x1FFFF800.'
            }
            @{
                Title   = 'Check single bits in a script'
                Code    = @'
$ob = Get-Stm32OptionByte
if ($ob.NRstStop -eq $false) { 'Entering Stop mode resets this chip.' }
'0x{0:X2}' -f $ob.RdpByte
'@
                Remarks = 'Keeps the object and reads its properties; fields the family lacks are $null.'
            }
            @{
                Title   = 'Save the raw block before changing it'
                Code    = '$backup = (Get-Stm32OptionByte).Raw'
                Remarks = 'Set-Stm32OptionByte -Raw $backup -Confirm:$false writes it back later (on the same chip family).'
            }
        )
        Links       = @('Set-Stm32OptionByte', 'Protect-Stm32Flash', 'Unprotect-Stm32Flash', 'Get-Stm32Info', 'about_Stm32')
    }

    'Set-Stm32OptionByte' = @{
        Synopsis    = 'Changes option bytes by named field (or the whole block with -Raw), then reads them back after the chip resets.'
        Description = @'
Set-Stm32OptionByte reads the current option bytes, changes only the fields you name (or takes the whole block from -Raw), and builds the family's layout: value and complement pairs on F0/F1/F3 and L0/L1, the USER/RDP/nWRP bytes of F2/F4/F7, the 32-bit option words with their complements on L4/G0/G4/WB/WL. It then writes the block with one Write Memory command; the chip erases its option area, programs it and resets. The session resynchronises by itself, reads the block back and checks every changed field: a field that did not take gives the error OptionByteVerifyFailed naming it.

-WhatIf shows the change field by field, before and after (for example "NRstStop: 1 -> 0"), and sends nothing. A change that leaves every byte as it is writes nothing.

READ PROTECTION LEVEL 2 IS PERMANENT. On most families RDP 0xCC switches the bootloader and the debug port off for good: the chip can never again be read, erased, reprogrammed or even talked to through this module or any other tool, and nothing undoes it. Set-Stm32OptionByte refuses it (error ReadProtectionLevel2Refused) unless you give -Force, whatever -Confirm says. With -Force it asks twice: the usual confirmation (ConfirmImpact High), then a typed confirmation whose default is No: you type the chip's product ID as the prompt shows it (for example 0x413); Enter alone, "y" or anything else cancels and nothing is written. No -Confirm or $ConfirmPreference setting skips the typed question. Scripts that really mean it name the chip instead: -Force -Confirm:$false -Level2ProductId 0x413, which is refused when the connected chip has another product ID. A host that cannot prompt (pwsh -NonInteractive) refuses without -Level2ProductId. F1 parts have no level 2 (the error InvalidArgument says so).

Level 1 (-ReadProtection Level1) makes the flash unreadable from outside; lifting it again (Unprotect-Stm32Flash -ReadOut, or -ReadProtection Level0) erases the whole flash.

On H7, L5, U5 and H5 the option bytes are registers the bootloader cannot write: the error OptionBytesNotSupported says so.
'@
        Parameters  = @{
            Session              = 'The session whose chip to change: from Connect-Stm32, Get-Stm32Session or Get-Stm32OptionByte, by value or from a Session property.'
            SessionId            = 'The Id of the session (Get-Stm32Session lists them). Tab completion offers the open ones.'
            ReadProtection       = 'The read protection level: Level0 (open), Level1 (flash unreadable from outside; lifting it erases the flash) or Level2 (PERMANENT: no bootloader and no debug port ever again; needs -Force and a typed confirmation of the product ID, or -Level2ProductId). 0, 1 and 2 are accepted too.'
            RdpByte              = 'An exact RDP byte instead of -ReadProtection (0xAA is level 0, 0xA5 on F1; 0xCC is level 2 and needs -Force; anything else is level 1).'
            SoftwareWatchdog     = '$true: the independent watchdog is started by software; $false: it starts by itself at reset (WDG_SW / IWDG_SW).'
            NRstStop             = '$false: entering Stop mode resets the chip (nRST_STOP).'
            NRstStdby            = '$false: entering Standby mode resets the chip (nRST_STDBY).'
            NBoot0               = 'nBOOT0 (F04x/F09x, L4, G0, G4, WB, WL): the BOOT0 value used when BOOT0 is taken from the option bytes. Careful: with nSWBOOT0/nBOOT_SEL set that way, the BOOT0 pin no longer selects the bootloader.'
            NBoot1               = 'nBOOT1: with BOOT0 = 1, $true selects system memory (the bootloader), $false SRAM.'
            NSwBoot0             = 'nSWBOOT0 (L4, G4, WB, WL): $false takes BOOT0 from nBOOT0 instead of the pin.'
            NBootSel             = 'nBOOT_SEL (G0, C0): $true takes BOOT0 from nBOOT0 instead of the pin.'
            BorLevel             = 'The brown-out reset level, as the raw field value of the family (0 to 7; F2/F4: 0 to 3).'
            Data0                = 'The user data byte DATA0 (F0, F1, F3).'
            Data1                = 'The user data byte DATA1 (F0, F1, F3).'
            WriteProtectedSector = 'The complete set of write-protected WRP sectors (replaces the current set; @() clears it). Protect-Stm32Flash -Page is usually simpler.'
            Raw                  = 'The whole option block, byte for byte, complements included, as long as Get-Stm32OptionByte''s Raw. Checked, never fixed: wrong complements or a wrong length give the error InvalidArgument.'
            Force                = 'Allows read protection level 2, which is permanent. Nothing else needs it. Without -Force a level 2 change is refused before any prompt.'
            Level2ProductId      = 'For scripts that set read protection level 2 (permanent): the product ID of the chip to lock, as Get-Stm32Info shows it (for example 0x413). It stands in for the typed confirmation and must match the connected chip, or nothing is written (ReadProtectionLevel2Refused). Still needs -Force, and -Confirm:$false to skip the ShouldProcess prompt.'
            PassThru             = 'Returns what was done: the plan (before and after, field by field), the block read back after the reset, any warnings, and the Session, so the result pipes on to the other session cmdlets (Set-Stm32OptionByte -PassThru | Get-Stm32Info).'
        }
        Inputs      = @(
            @{ Type = 'Stm32.PowerShell.Stm32Session'; Description = 'A session, by value or from a Session property (Get-Stm32OptionByte output has one).' }
            @{ Type = 'System.Int32'; Description = 'A session Id from a SessionId property.' }
        )
        Outputs     = @(
            @{ Type = 'None'; Description = 'Nothing, unless -PassThru is given.' }
            @{ Type = 'Stm32.PowerShell.Stm32OptionByteWriteResult'; Description = 'With -PassThru: Session, Plan (Changes, Describe()), Before, After (null when the chip is now read-protected or silent), Written, ChipSilent, Warnings, and BeforeValues and AfterValues (the changed fields as they were and as read back, "NRstStop: 1" and "NRstStop: 0"). The Session property binds -Session of the next session cmdlet (closed after a level 2 write).' }
        )
        Notes       = @'
ConfirmImpact is High, so it asks before writing. In scripts and under -NonInteractive pass -Confirm:$false. -WhatIf shows the before and after and changes nothing.

Level 2, exactly: without -Force it is refused (ReadProtectionLevel2Refused), with or without -Confirm:$false. With -Force: first the ShouldProcess confirmation (skipped by -Confirm:$false), then a typed confirmation that defaults to No: type the chip's product ID (for example 0x413) to go ahead; Enter alone or any other answer writes nothing. Only -Level2ProductId naming the connected chip's product ID skips it (-Confirm:$false and $ConfirmPreference = 'None' do not). A host that cannot ask refuses with ReadProtectionLevel2Refused. After a level 2 write the chip no longer answers and the session is closed.
'@
        Examples    = @(
            @{
                Title   = 'See what a change would do'
                Code    = 'Set-Stm32OptionByte -NRstStop $false -WhatIf'
                Remarks = 'Prints "NRstStop: 1 -> 0" for the single open session and writes nothing.'
            }
            @{
                Title   = 'Make Stop mode reset the chip, and check it'
                Code    = @'
Set-Stm32OptionByte -NRstStop $false -Confirm:$false
(Get-Stm32OptionByte).NRstStop
'@
                Remarks = 'Writes the option bytes (the chip resets and the session resynchronises), checks the field after the reset, and reads it again: False.'
            }
            @{
                Title   = 'Write the user data bytes of an F1'
                Code    = 'Connect-Stm32 sim://0x410 | Set-Stm32OptionByte -Data0 0x12 -Data1 0x34 -Confirm:$false -PassThru'
                Remarks = 'Returns the result: the change field by field, the block before and the block read back after the reset.'
            }
            @{
                Title   = 'Save the block and restore it later'
                Code    = @'
$backup = (Get-Stm32OptionByte).Raw
# ... change option bytes, try things ...
Set-Stm32OptionByte -Raw $backup -Confirm:$false
'@
                Remarks = 'Writes back the bytes saved before (on the same chip family).'
            }
        )
        Links       = @('Get-Stm32OptionByte', 'Protect-Stm32Flash', 'Unprotect-Stm32Flash', 'about_Stm32')
    }

    'Protect-Stm32Flash' = @{
        Synopsis    = 'Turns on read protection (-ReadOut) or write protection of pages, sectors or an address range.'
        Description = @'
Protect-Stm32Flash -ReadOut sends Readout Protect: the chip goes to read protection level 1 and resets. From then on the bootloader refuses to read, write or start the flash (the errors say ReadProtected); Unprotect-Stm32Flash -ReadOut lifts the protection again, and that erases the whole flash.

Protect-Stm32Flash -Page, -Sector or -Address -Length sends Write Protect: the pages can no longer be erased or written until Unprotect-Stm32Flash -Write. Write protection has the part's granularity: one protection bit covers a group of pages (4 pages of 1 KiB on an STM32F103, one sector on F2/F4/F7), so protecting one page protects its whole group. A warning says which extra pages come along. The pages protected before stay protected (Write Protect replaces the set, so they are sent again), unless -Replace is given.

Both commands reset the chip; the session resynchronises by itself and stays usable. Where the option bytes are readable, the write protection is read back and checked (error OptionByteVerifyFailed if it did not take).
'@
        Parameters  = @{
            Session   = 'The session whose chip to protect: from Connect-Stm32 or Get-Stm32Session, by value or from a Session property.'
            SessionId = 'The Id of the session (Get-Stm32Session lists them). Tab completion offers the open ones.'
            ReadOut   = 'Turns on read protection (RDP level 1). Lifting it later erases the whole flash.'
            Page      = 'The pages (sectors on F2/F4/F7) to write-protect, by erase index as Get-Stm32Info counts them. Their whole protection group is protected.'
            Sector    = 'The write-protection sectors (groups of pages one protection bit covers) to protect, by number.'
            Address   = 'The start of a flash range to write-protect: every page it touches is protected (with its group). Hex works: 0x08000000.'
            Length    = 'The length of the range in bytes, at least 1.'
            Replace   = 'Protect only the pages given: the pages protected now lose their protection.'
            PassThru  = 'Returns the chip''s description afterwards (as Get-Stm32Info does), with ReadProtection, WriteProtection and WriteProtectedPages.'
        }
        Inputs      = @(
            @{ Type = 'Stm32.PowerShell.Stm32Session'; Description = 'A session, by value or from a Session property.' }
            @{ Type = 'System.Int32'; Description = 'A session Id from a SessionId property.' }
        )
        Outputs     = @(
            @{ Type = 'None'; Description = 'Nothing, unless -PassThru is given.' }
            @{ Type = 'Stm32.PowerShell.Stm32DeviceInfo'; Description = 'With -PassThru: the chip''s description afterwards.' }
        )
        Notes       = 'ConfirmImpact is High, so it asks first. In scripts and under -NonInteractive pass -Confirm:$false; -WhatIf says what would be protected (and which extra pages come along) and changes nothing. A read-protected chip refuses Write Protect (ReadProtected). -ReadOut is checked after the reset by a Read the chip must now refuse (of flash, or of system memory or RAM where the catalog row maps no flash); for a chip the catalog knows nothing of, where that check is impossible, nothing is sent and the error is DeviceLayoutUnknown.'
        Examples    = @(
            @{
                Title   = 'Write-protect the first 4 KiB of an STM32F103 (the boot loader of your application)'
                Code    = 'Protect-Stm32Flash -Page 0, 1, 2, 3 -Confirm:$false -PassThru'
                Remarks = 'Pages 0-3 form one protection group, so nothing extra comes along; the output shows WriteProtection: pages 0-3.'
            }
            @{
                Title   = 'Protect a range and see which pages come along'
                Code    = 'Protect-Stm32Flash -Address 0x08001400 -Length 0x400 -WhatIf'
                Remarks = 'Page 5 is in the range; the warning says pages 4, 6-7 are protected too because one bit covers four pages. -WhatIf changes nothing.'
            }
            @{
                Title   = 'Read-protect the chip'
                Code    = 'Protect-Stm32Flash -ReadOut -Confirm:$false; (Get-Stm32Info).ReadProtection'
                Remarks = 'The chip resets; the session resynchronises and shows Level1.'
            }
        )
        Links       = @('Unprotect-Stm32Flash', 'Get-Stm32OptionByte', 'Set-Stm32OptionByte', 'Get-Stm32Info', 'about_Stm32')
    }

    'Unprotect-Stm32Flash' = @{
        Synopsis    = 'Lifts read protection (-ReadOut, which ERASES THE WHOLE FLASH) or all write protection (-Write).'
        Description = @'
Unprotect-Stm32Flash -ReadOut sends Readout Unprotect. THE CHIP ERASES ITS WHOLE FLASH AND CLEARS ITS RAM before it lifts the read protection: the firmware on it is gone for good. It then resets. The mass erase takes from under a second to tens of seconds on large F4/F7 parts; the cmdlet waits as long as the part needs, showing progress, then the session resynchronises by itself and is usable again (the chip is empty). It erases a chip that is not read-protected just the same. Write protection stays; a warning names the pages, and Unprotect-Stm32Flash -Write removes it.

Unprotect-Stm32Flash -Write sends Write Unprotect: all write protection is removed, the flash contents stay, and the chip resets; the session resynchronises by itself. Where the option bytes are readable the result is checked.
'@
        Parameters  = @{
            Session   = 'The session whose chip to unprotect: from Connect-Stm32 or Get-Stm32Session, by value or from a Session property.'
            SessionId = 'The Id of the session (Get-Stm32Session lists them). Tab completion offers the open ones.'
            ReadOut   = 'Lifts read protection. THE CHIP ERASES ITS WHOLE FLASH doing it.'
            Write     = 'Removes all write protection; the flash contents stay.'
            PassThru  = 'Returns the chip''s description afterwards (as Get-Stm32Info does), with ReadProtection, WriteProtection and WriteProtectedPages.'
        }
        Inputs      = @(
            @{ Type = 'Stm32.PowerShell.Stm32Session'; Description = 'A session, by value or from a Session property.' }
            @{ Type = 'System.Int32'; Description = 'A session Id from a SessionId property.' }
        )
        Outputs     = @(
            @{ Type = 'None'; Description = 'Nothing, unless -PassThru is given.' }
            @{ Type = 'Stm32.PowerShell.Stm32DeviceInfo'; Description = 'With -PassThru: the chip''s description afterwards.' }
        )
        Notes       = 'ConfirmImpact is High, and the confirmation of -ReadOut says that the whole flash is erased. In scripts and under -NonInteractive pass -Confirm:$false; -WhatIf says what would happen and changes nothing. -ReadOut is checked after the reset by a Read the chip must now answer (of flash, or of system memory or RAM where the catalog row maps no flash); for a chip the catalog knows nothing of, nothing is sent and the error is DeviceLayoutUnknown.'
        Examples    = @(
            @{
                Title   = 'Recover a read-protected chip (its firmware is erased)'
                Code    = @'
Unprotect-Stm32Flash -ReadOut -Confirm:$false
(Get-Stm32Info).ReadProtection
'@
                Remarks = 'The chip mass-erases its flash with a progress bar, resets, and the session resynchronises: Level0.'
            }
            @{
                Title   = 'Remove write protection before writing new firmware'
                Code    = 'Unprotect-Stm32Flash -Write -Confirm:$false -PassThru'
                Remarks = 'Shows WriteProtection: none afterwards.'
            }
            @{
                Title   = 'See what -ReadOut would do'
                Code    = 'Unprotect-Stm32Flash -ReadOut -WhatIf'
                Remarks = 'Says that the whole flash would be erased, and sends nothing.'
            }
        )
        Links       = @('Protect-Stm32Flash', 'Get-Stm32OptionByte', 'Set-Stm32OptionByte', 'Get-Stm32Info', 'about_Stm32')
    }

    # ------------------------------------------------------------------ firmware files and flashing (issues 3 and 4)

    'Import-Stm32Firmware' = @{
        Synopsis    = 'Reads firmware files (Intel HEX, S-record, ELF, raw binary) into image objects.'
        Description = @'
Import-Stm32Firmware reads a firmware file and returns a FirmwareImage: its segments (address and bytes, sorted, adjacent ones merged), the start address if the file named one, the number of data bytes, the span and a SHA-256 of the content with the addresses, so that the same program read from a .hex and an .elf gives equal images and the same hash.

The format comes from the extension (.hex .ihex; .srec .s19 .s28 .s37 .mot; .elf .axf .out; .bin), else from the first bytes of the file; -Format overrides both. A raw binary carries no address: it is placed at -Address, by default 0x08000000, the flash start of nearly every STM32.

An S-record file ends with its termination record (S7, S8 or S9), or, as srec_cat writes it without an execution address, with an S5 or S6 record count that matches its data records (then the image has no start address); a file with neither, or whose count does not match, may be truncated and is refused. An ELF file's header, program and section headers, string and symbol tables and notes are checked against the file's length before it is read.

A bad file gives the error FileInvalid, naming the file, the line (or byte offset) and what is wrong; no partial image is ever returned. Import-Stm32Firmware touches no chip and needs no session. Its output pipes to Write-Stm32Firmware, Test-Stm32Firmware and Export-Stm32Firmware.
'@
        Parameters  = @{
            Path        = 'The firmware files. Wildcards are allowed; each file that matches gives one image. A path that matches nothing gives the error FileNotFound.'
            LiteralPath = 'The firmware files, taken literally (no wildcards). Files piped from Get-ChildItem bind here (alias PSPath).'
            Format      = 'Auto (the default: from the extension, else the content), IntelHex, SRecord, Elf or Binary.'
            Address     = 'Where a raw binary starts. Default: 0x08000000. Intel HEX, S-record and ELF files carry their own addresses: with them -Address is refused (AddressNotApplicable), never ignored; -Format Binary reads any file as a raw binary.'
        }
        Defaults    = @{ Format = 'Auto'; Address = '0x08000000' }
        Inputs      = @(
            @{ Type = 'System.String[]'; Description = 'Paths, by value (-Path) or from a PSPath property (-LiteralPath).' }
        )
        Outputs     = @(
            @{ Type = 'Stm32.Protocol.Firmware.FirmwareImage'; Description = 'One image per file: Segments, StartAddress, SourcePath, SourceFormat, DataBytes, LowestAddress, HighestAddress, Span, Sha256.' }
        )
        Notes       = 'Equal images have equal Sha256 values whatever format they came from; a .bin filled with 0xFF between segments is a different (bigger) image than the sparse .hex it came from.'
        Examples    = @(
            @{
                Title   = 'Look at a firmware file'
                Code    = 'Import-Stm32Firmware ./app.hex'
                Remarks = 'Shows the segments with start, end and size in hex, the data bytes, the span, the start address and the SHA-256.'
            }
            @{
                Title   = 'Check that an ELF and a HEX hold the same program'
                Code    = '(Import-Stm32Firmware ./app.elf).Sha256 -eq (Import-Stm32Firmware ./app.hex).Sha256'
                Remarks = 'True when both files put the same bytes at the same addresses.'
            }
            @{
                Title   = 'Read a raw binary meant for the second half of a 128 KiB flash'
                Code    = 'Import-Stm32Firmware ./app.bin -Address 0x08010000'
                Remarks = 'A .bin has no addresses of its own; -Address places it. Intel HEX, S-record and ELF files carry their addresses, so they refuse -Address (AddressNotApplicable) rather than ignore it.'
            }
        )
        Links       = @('Export-Stm32Firmware', 'Write-Stm32Firmware', 'Test-Stm32Firmware', 'about_Stm32')
    }

    'Export-Stm32Firmware' = @{
        Synopsis    = 'Writes a firmware image to an Intel HEX, S-record or raw binary file.'
        Description = @'
Export-Stm32Firmware writes a FirmwareImage (from Import-Stm32Firmware, or the Image of a Read-Stm32Memory block) to a file. The format comes from the extension (.hex; .srec, .s19, .s28, .s37, .mot; .bin) or from -Format. Intel HEX gets type 04 records and 32 data bytes a record, with the start address record when the image has one; S-records use the smallest address width that fits; a binary starts at the image's lowest address and fills gaps with 0xFF. ELF is read-only.

With Import-Stm32Firmware it converts: Import-Stm32Firmware app.elf | Export-Stm32Firmware app.hex.

Like Out-File, it replaces an existing file (after the usual -Confirm/-WhatIf); -NoClobber refuses to, and a read-only file is replaced only with -Force. The file is written beside the target first and then moved into place, so a failure leaves no half-written file.

The file is checked (format, folder, -NoClobber, read-only) before the first image arrives: in Read-Stm32Memory | Export-Stm32Firmware ./backup.s19 -NoClobber, an existing backup.s19 stops the pipeline before the chip is read (FileExists). -PassThru returns the file as Get-Item does.
'@
        Parameters  = @{
            Image       = 'The image to write: from Import-Stm32Firmware by value, or from an Image property (Read-Stm32Memory output).'
            Path        = 'The file to write. Its extension chooses the format unless -Format is given.'
            LiteralPath = 'The file to write, taken literally.'
            Format      = 'Auto (the default: from the extension), IntelHex, SRecord or Binary.'
            Force       = 'Replaces a read-only file.'
            NoClobber   = 'Refuses to replace an existing file (the error FileExists).'
            PassThru    = 'Returns the FileInfo of the written file.'
        }
        Defaults    = @{ Format = 'Auto' }
        Inputs      = @(
            @{ Type = 'Stm32.Protocol.Firmware.FirmwareImage'; Description = 'An image, by value or from an Image property.' }
        )
        Outputs     = @(
            @{ Type = 'None'; Description = 'Nothing, unless -PassThru is given.' }
            @{ Type = 'System.IO.FileInfo'; Description = 'With -PassThru: the file written.' }
        )
        Notes       = 'ConfirmImpact is Medium: it does not prompt by default. Scripts can add -Confirm:$false to be sure it never does.'
        Examples    = @(
            @{
                Title   = 'Convert an ELF file to Intel HEX'
                Code    = 'Import-Stm32Firmware ./app.elf | Export-Stm32Firmware ./app.hex'
                Remarks = 'Writes the loadable segments of app.elf as Intel HEX, with the entry point as the start address record.'
            }
            @{
                Title   = 'Save a flash backup as S-records, never overwriting'
                Code    = 'Read-Stm32Memory | Export-Stm32Firmware ./backup.s19 -NoClobber -PassThru'
                Remarks = 'The memory block carries an Image property, which binds to -Image. -NoClobber keeps an older backup safe, and the file is checked before Read-Stm32Memory reads anything: an existing backup.s19 stops the pipeline at once (FileExists).'
            }
        )
        Links       = @('Import-Stm32Firmware', 'Read-Stm32Memory', 'about_Stm32')
    }

    'Clear-Stm32Flash' = @{
        Synopsis    = 'Erases flash: all of it, pages or sectors by number, or an address range rounded out to whole pages.'
        Description = @'
Clear-Stm32Flash erases the flash of the chip behind a session. Erased flash reads 0xFF.

-All erases the whole flash: one mass erase, each bank on its own on dual-bank parts that refuse a plain mass erase, and page by page on parts that have no mass erase (STM32L0/L1). A bootloader that answers the mass-erase code with NACK after acknowledging the command (one built from ST's reference flash code has no mass erase; a chip with write protection refuses it) gets a warning saying so, and the pages are erased one by one instead, at most 100 a command; that NACK is its answer, not line noise, so it is not retried.

-Page or -Sector erases erase units by number (0 is the first). Parts with uniform pages (F0, F1, F3, L0, L4, G0, ...) take -Page; parts with sectors of mixed sizes (F2, F4, F7) take -Sector. The wrong one for the part gives the error EraseUnitMismatch, naming the right one; a number past the end gives PageOutOfRange.

-Address and -Length erase the pages or sectors the range touches. Flash can only be erased in whole units, so when the range does not start and end on unit boundaries a warning names the addresses outside the range that get erased too.

The erase is planned before anything is sent: the pages or sectors, whether the whole flash goes in one mass erase (and that it may go page by page should the bootloader refuse it), and how -Verify will check it. -WhatIf and -Confirm show that plan, -Verbose repeats it, and the run carries it out; with -PassThru the result keeps it (Plan).

ST's bootloader acknowledges an erase whatever the flash did: a write-protected page is left as it was and the erase still "succeeds". So pages the option bytes say are write-protected are refused while planning, before anything is sent (and under -WhatIf too), with the error WriteProtected naming them (Unprotect-Stm32Flash -Write lifts the protection; the flash contents stay); -All is refused the same way when any page is protected. Where the option bytes cannot tell (a read-protected chip, STM32H7/L5/U5/H5, L4-style protection areas), -Verify is the way to know: it checks afterwards that every erased byte reads 0xFF, by the chip's Get Checksum where it has one that agrees with a sample it also reads, otherwise by reading the pages back, and a byte that does not gives VerifyMismatch naming its address and page.

The session comes from the pipeline, from -SessionId, or is the single open session. Progress is shown while erasing; a mass erase is one long wait for the chip (up to half a minute on 2 MiB parts), so its bar shows the seconds waited against the part's usual time. Each erase command waits 4 times the part's typical erase time for its answer (pages are sent in commands of about 2.5 s of work each); a chip that stops answering ends in an error naming the step within about 30 s at 115200 baud, and a whole-flash mass erase first waits up to 4 times the part's typical time for it (at most 60 s). The whole erase also has a deadline of 30 s plus 4 times what the chip needs for it (see about_Stm32).
'@
        Parameters  = @{
            All       = 'Erases the whole flash.'
            Page      = 'Page numbers to erase (parts with uniform pages). Get-Stm32Info shows the layout.'
            Sector    = 'Sector numbers to erase (STM32F2/F4/F7 and other parts with sectors).'
            Address   = 'The first address of a range to erase, for example 0x08004000. Used with -Length.'
            Length    = 'How many bytes from -Address to erase; rounded out to whole pages or sectors.'
            Verify    = 'Checks afterwards that every erased byte reads 0xFF (a blank check): by the chip''s Get Checksum where it has one that agrees with a sample it also reads, otherwise by reading back. The chip acknowledges erases it did not do (a write-protected page); a byte that is not 0xFF gives VerifyMismatch naming its address and page.'
            PassThru  = 'Returns a Stm32EraseResult (pages, address range, how the chip was told, whether -Verify found it blank, time) that carries the session.'
            Session   = 'The session whose chip to erase: from Connect-Stm32, Get-Stm32Session or any object with a Session property.'
            SessionId = 'The Id of the session (Get-Stm32Session lists them).'
        }
        Inputs      = @(
            @{ Type = 'Stm32.PowerShell.Stm32Session'; Description = 'A session, by value or from a Session property.' }
        )
        Outputs     = @(
            @{ Type = 'None'; Description = 'Nothing, unless -PassThru is given.' }
            @{ Type = 'Stm32.PowerShell.Stm32EraseResult'; Description = 'With -PassThru: Session, All, EraseUnit, Pages (numbers to scripts, ranges such as "0-63" as text and in Export-Csv), Address, AddressHex, Length, Method (MassErase, BankErase or Pages), Verified and VerifyMethod (with -Verify), Duration, Plan (the erase plan that was carried out; Plan.Describe() is the -WhatIf text).' }
        )
        Notes       = 'ConfirmImpact is High, so it asks before erasing. In scripts and under -NonInteractive pass -Confirm:$false; -WhatIf shows the erase plan and erases nothing (it reads the write protection, and refuses protected pages as the run would). A read-protected chip refuses to erase (ReadProtected); lifting read protection erases the whole flash. Write-protected pages are refused before anything is sent (WriteProtected). Only -Verify proves the erase happened: the bootloader''s acknowledgement does not.'
        Examples    = @(
            @{
                Title   = 'Erase pages and check that they read blank'
                Code    = 'Clear-Stm32Flash -Page (8..15) -Verify -Confirm:$false -PassThru'
                Remarks = 'Erases pages 8 to 15, then checks every byte reads 0xFF (by Get Checksum on a 3.3 bootloader, by reading back otherwise); Verified is True in the result.'
            }
            @{
                Title   = 'Erase the whole flash without a prompt'
                Code    = 'Connect-Stm32 -Port /dev/ttyUSB0 | Clear-Stm32Flash -All -Confirm:$false'
                Remarks = 'Mass-erases the chip (per bank or page by page where the part needs it).'
            }
            @{
                Title   = 'Erase the last page of an STM32F103 (where an application keeps its settings)'
                Code    = 'Clear-Stm32Flash -Page 127 -PassThru'
                Remarks = 'Asks for confirmation, erases page 127 (0x0801FC00-0x0801FFFF) and returns what it erased.'
            }
            @{
                Title   = 'Erase sectors of an STM32F407'
                Code    = 'Clear-Stm32Flash -Sector 5,6 -Confirm:$false'
                Remarks = 'Uses the single open session (to an STM32F407) and erases its 128 KiB sectors 5 and 6 (0x08020000-0x0805FFFF).'
                SimPort = 'sim://0x413'
            }
            @{
                Title   = 'See what an address range would erase'
                Code    = 'Clear-Stm32Flash -Address 0x08000100 -Length 0x100 -WhatIf'
                Remarks = 'Warns that page 0 is erased whole (0x08000000-0x080003FF) and says what would be done, without erasing.'
            }
        )
        Links       = @('Write-Stm32Firmware', 'Get-Stm32Info', 'about_Stm32')
    }

    'Write-Stm32Firmware' = @{
        Synopsis    = 'Writes a firmware file or image to the chip: erase what it needs, write, optionally verify and start it.'
        Description = @'
Write-Stm32Firmware programs the chip behind a session with a firmware file (-Path or -LiteralPath: Intel HEX, S-record, ELF or raw binary) or an image from the pipeline (Import-Stm32Firmware output, or a Read-Stm32Memory block by its Image property).

The whole file is read and checked before anything is sent: a bad file gives FileInvalid (with the file and line), an image with bytes outside the device's flash and RAM gives ImageOutOfRange (naming the first such address), and bytes in the option area are refused (use the option-byte cmdlets). The chip is then untouched. So is a chip the session already knows to be read-protected (it would refuse the erase): ReadProtected says that Unprotect-Stm32Flash -ReadOut, which erases the whole flash, is the way out.

Before anything changes, the write is planned once: the pages or sectors to erase, the blocks to write, how the result is verified, and what the erase clears beyond the image. -WhatIf and -Confirm show that plan, -Verbose repeats it, the run carries out exactly that plan, and the result keeps it (the Plan property; Plan.Describe() is the text -WhatIf shows).

By default only the pages or sectors the image touches are erased; when that is every page, the plan says so and one mass erase is used (should the bootloader refuse the mass-erase code, a NACK after the command's ACK, it gets a warning and the pages are erased one by one instead: that is decided while running, and the plan says it may happen). -EraseAll erases the whole flash first; -NoErase erases nothing (the flash must already be erased there).

Flash is erased in whole pages, so the erase also clears the bytes of those pages that the image does not cover (the collateral): the write does not put them back. The plan says, for each such range, whether it holds data: by the chip's Get Checksum compared with that of erased flash where the chip has one that agrees with a sample it also reads; otherwise by reading ranges of up to 256 bytes, and at most 4 KiB in all from the start of larger ones (about 0.4 s at 115200 baud). Each range is "blank", "holds data" (with how many bytes are not 0xFF where it was read), or not known (too large to read cheaply, or only partly read and blank so far); it never says data is there when it did not see it. This check only reads, so -WhatIf does it too. A warning comes before anything happens for every range that holds data or is not known; blank ranges (the unused end of the image's last page on erased flash) are only in the plan. -CheckCollateral reads all of the collateral first, however large. -EraseAll clears the whole flash on purpose, so it does not warn and reads none of it (the plan still asks Get Checksum where believable).

Pages the option bytes say are write-protected are refused while planning, before anything is sent, and under -WhatIf too (WriteProtected, naming them and the image's first address there): ST's bootloader acknowledges erases and writes of such pages without doing them.

The image is written in 256-byte blocks aligned to 256 and padded with 0xFF (never one write per HEX line); blocks that are all 0xFF are skipped after an erase. -Verify checks the whole image afterwards: with the chip's Get Checksum command where it has one that agrees with a sample it also reads (a chip whose checksums are wrong, or that refuses the command it lists, gets a warning and is read back instead), by reading back otherwise; a difference gives VerifyMismatch with the first differing address. With -Verify what was erased and not written (the rest of the touched pages; with -EraseAll the rest of the flash, which on a chip without Get Checksum means reading all of it back) must read 0xFF too: the chip acknowledges erases it did not do. -Go starts the program at the flash start afterwards.

A raw binary is placed at -Address, by default the device's flash start. Intel HEX, S-record and ELF files say where their bytes go, so -Address with them is refused (AddressNotApplicable) rather than ignored.

The result object carries the session, so | Start-Stm32Application follows. Progress shows erasing, writing and verifying with bytes, and each phase's rate and time left once it has run for a second.

No wait is without end: every answer has its own timeout (0.5 s for a reply, 1 s for a block, 4 times the part's typical time for an erase), a reply that drips in too slowly ends at its wire time plus the reply timeout, and the whole write has a deadline of 30 s plus 4 times what the chip needs for it at this baud (wire time, the part's flash times, one turnaround per exchange as measured when connecting). A chip that stops answering in the middle ends in an error naming the step and address within about 10 s during writing and 30 s during an erase at 115200 baud (a whole-flash mass erase first waits up to 4 times the part's typical time for it, at most 60 s).

Ctrl+C stops it between frames or while it waits for the chip, normally well under a second. A stopped write leaves a partial image: PowerShell does not let a stopped command write errors, so the module writes one warning line to the host saying what the flash holds and the first address not written, and the next command on the session says it again (as a warning) before it gets back in step with the bootloader, which takes at most a few seconds (or the rest of an erase the chip was busy with). A script stopped by Ctrl+C ends with exit code 1 under pwsh -Command (or -c), but with 0 under pwsh -File (a PowerShell behaviour no module can change); to be sure, run the write in try/finally and exit non-zero from the finally block when it did not complete (see the example).
'@
        Parameters  = @{
            Path        = 'The firmware file. Wildcards are allowed but must match exactly one file (else AmbiguousPath).'
            LiteralPath = 'The firmware file, taken literally (no wildcards). To flash files from Get-ChildItem, pipe them through Import-Stm32Firmware.'
            Image       = 'A firmware image: Import-Stm32Firmware output by value, or the Image property of a Read-Stm32Memory block.'
            Format      = 'Auto (the default: from the extension, else the content), IntelHex, SRecord, Elf or Binary.'
            Address     = 'Where a raw binary goes. Default: the flash start of the device (0x08000000 on nearly every STM32). Intel HEX, S-record and ELF files carry their own addresses: with them -Address is refused (AddressNotApplicable) before the chip is touched, never ignored.'
            EraseAll    = 'Erases the whole flash first (mass erase, per bank or page by page as the part needs).'
            NoErase     = 'Erases nothing; use when the flash was just erased (Clear-Stm32Flash).'
            Verify      = 'Checks the whole image after writing, and that what was erased and not written reads 0xFF: by the chip''s Get Checksum where offered and believable, by reading back otherwise.'
            Go          = 'Starts the program at the flash start after writing (and verifying). The session then leaves the bootloader.'
            CheckCollateral = 'Reads every byte the erase would clear beyond the image (the rest of the pages it touches) before anything changes, however many, to say whether it holds data and how many bytes are not 0xFF. Without it the plan checks only what is cheap: Get Checksum where the chip has a believable one, ranges of up to 256 bytes, and at most 4 KiB read in all. Only reads; works with -WhatIf.'
            Session     = 'The session whose chip to program: from Connect-Stm32, Get-Stm32Session or any object with a Session property.'
            SessionId   = 'The Id of the session (Get-Stm32Session lists them).'
        }
        Defaults    = @{ Format = 'Auto'; Address = 'the flash start' }
        Inputs      = @(
            @{ Type = 'Stm32.PowerShell.Stm32Session'; Description = 'A session, by value or from a Session property.' }
            @{ Type = 'Stm32.Protocol.Firmware.FirmwareImage'; Description = 'An image, by value or from an Image property.' }
        )
        Outputs     = @(
            @{ Type = 'Stm32.PowerShell.Stm32WriteResult'; Description = 'Session, Path, Sha256, DataBytes, LowestAddress, HighestAddress, LowestAddressHex, HighestAddressHex, BytesWritten, BlocksWritten, BlocksSkipped, BytesSent, PagesErased, EraseUnit, MassErased, CollateralErased, Collateral, Verified, VerifyMethod, BlankChecked, Duration, BytesPerSecond, Started, Retries, Resyncs, Rewrites, Resets, Time, Plan. PagesErased is a list of numbers to scripts and ranges ("0-3, 8") as text, so Export-Csv writes data, not type names. Collateral lists what the erase cleared beyond the image, each with State (Blank, HoldsData, Unknown), CheckedBy (Checksum, ReadBack, None) and DataBytes where read. Plan is the write plan that was carried out (Plan.Describe() is the -WhatIf text).' }
        )
        Notes       = 'ConfirmImpact is Medium: writing the firmware you name is the point of the cmdlet and it erases only what the image needs, so it does not prompt by default. -WhatIf shows the plan (what would be erased, including whether the rest of those pages holds data, and what would be written) and sends nothing that changes the chip: it reads write protection and the collateral, which is cheap; -Confirm asks first. Scripts can pass -Confirm:$false to be sure it never prompts. A read-protected chip refuses to be written (ReadProtected).'
        Examples    = @(
            @{
                Title   = 'Flash, verify and run'
                Code    = 'Connect-Stm32 -Port /dev/ttyUSB0 | Write-Stm32Firmware -Path ./app.hex -Verify | Start-Stm32Application'
                Remarks = 'Erases the pages app.hex touches, writes it, verifies it and starts it. On Windows use a port such as COM3.'
            }
            @{
                Title   = 'Write a raw binary at an offset, erasing everything first'
                Code    = 'Write-Stm32Firmware -Path ./app.bin -Address 0x08004000 -EraseAll -Verify'
                Remarks = 'Uses the single open session.'
            }
            @{
                Title   = 'Check first, then write an image kept in a variable'
                Code    = @'
$session = Connect-Stm32 -Port /dev/ttyUSB0
$image = Import-Stm32Firmware ./app.elf
$image | Write-Stm32Firmware -Session $session -WhatIf
$image | Write-Stm32Firmware -Session $session -Verify -Go
'@
                Remarks = '-WhatIf shows the plan: which pages would be erased (and whether the rest of them holds data), what would be written and how it would be verified. It changes nothing; the second command carries out the same plan.'
            }
            @{
                Title   = 'Find out whether the erase would lose data beyond the image'
                Code    = @'
$session = Connect-Stm32 -Port /dev/ttyUSB0
Write-Stm32Firmware -Session $session -Path ./app.hex -CheckCollateral -WhatIf
'@
                Remarks = 'Reads the rest of the pages app.hex touches and says, for each range, whether it is blank or holds data; nothing is erased. A warning names any range that holds data; Read-Stm32Memory -OutFile backs it up.'
            }
            @{
                Title   = 'Keep a production log'
                Code    = 'Write-Stm32Firmware ./app.hex -Verify | Select-Object Time, Path, Sha256, LowestAddressHex, PagesErased, Verified, Duration | Export-Csv ./flash-log.csv -Append'
                Remarks = 'The SHA-256 proves which program went onto the chip. Every column is plain text: PagesErased is written as ranges (0-3, 8), LowestAddressHex as 0x08000000.'
            }
            @{
                Title   = 'A script that fails when it is stopped half way, also under pwsh -File'
                Code    = @'
$done = $false
try {
    Connect-Stm32 -Port /dev/ttyUSB0 | Write-Stm32Firmware -Path ./app.hex -Verify -ErrorAction Stop
    $done = $true
}
finally {
    if (-not $done) { exit 1 }   # Ctrl+C or an error: the flash may hold a partial image
}
'@
                Remarks = 'Ctrl+C runs the finally block; without it pwsh -File would exit 0 after a stopped write (pwsh -Command exits 1). $LASTEXITCODE in the calling shell then tells.'
            }
        )
        Links       = @('Import-Stm32Firmware', 'Test-Stm32Firmware', 'Start-Stm32Application', 'Clear-Stm32Flash', 'about_Stm32')
    }

    'Read-Stm32Memory' = @{
        Synopsis    = 'Reads memory from the chip: a range, or the whole flash; as an object with a hex dump or into a file.'
        Description = @'
Read-Stm32Memory reads -Length bytes from -Address, or with neither the whole flash (its real size, from the chip's flash-size register where readable). It returns one Stm32MemoryBlock: Address, Length, Bytes, an Image for Export-Stm32Firmware or Write-Stm32Firmware, and a hex-dump view in which runs of identical lines collapse to one "*" line.

With -OutFile it writes the bytes to a file instead, Intel HEX, S-record or raw binary by the extension (or -Format), and returns that file's FileInfo with Session, Address and BytesRead added, so the result still pipes on to cmdlets that want the session. Like Out-File it replaces an existing file unless -NoClobber is given; a read-only one only with -Force.

A read-protected chip refuses to be read: the error ReadProtected explains that lifting the protection erases the flash. Progress shows bytes and rate; Ctrl+C stops it between frames or while it waits for the chip, normally well under a second.

A range is checked before anything is read: one at 0x40000000 or above (peripherals, external memory), or one that starts in the flash, RAM, system memory or option bytes and runs past their end, is the error AddressOutOfRange; so is a range that runs past 0xFFFFFFFF. Elsewhere (OTP, unique ID, EEPROM) the chip decides. The -OutFile is checked before the read too, not after it: one of no known format (FormatNotSupported), in a folder that does not exist, read-only without -Force, or that cannot be opened for writing (FileWriteFailed, naming the file), or an existing one under -NoClobber (FileExists).
'@
        Parameters  = @{
            Address   = 'The first address to read, for example 0x08000000 or 0x1FFFF800. Used with -Length.'
            Length    = 'How many bytes to read from -Address.'
            OutFile   = 'Writes the bytes to this file (.hex, .srec/.s19, .bin) and returns the file (as Get-Item does, with Session, Address and BytesRead added) instead of a memory block. The file is checked before any session is touched: a folder that does not exist, an unknown extension, a read-only file without -Force or an existing one with -NoClobber stop the command before anything is read.'
            Format    = 'The format of -OutFile: Auto (the default: from the extension), IntelHex, SRecord or Binary.'
            Force     = 'With -OutFile: replaces a read-only file.'
            NoClobber = 'With -OutFile: refuses to replace an existing file (the error FileExists).'
            Session   = 'The session whose chip to read: from Connect-Stm32, Get-Stm32Session or any object with a Session property.'
            SessionId = 'The Id of the session (Get-Stm32Session lists them).'
        }
        Defaults    = @{ Format = 'Auto'; Address = 'the flash start'; Length = 'the flash size' }
        Inputs      = @(
            @{ Type = 'Stm32.PowerShell.Stm32Session'; Description = 'A session, by value or from a Session property.' }
        )
        Outputs     = @(
            @{ Type = 'Stm32.PowerShell.Stm32MemoryBlock'; Description = 'Without -OutFile: Session, Address, Length, End, Bytes, Image; shown as a hex dump.' }
            @{ Type = 'System.IO.FileInfo'; Description = 'With -OutFile: the file written, with Session, Address and BytesRead note properties.' }
        )
        Notes       = 'Reading changes nothing on the chip. -WhatIf with -OutFile reads nothing and writes no file.'
        Examples    = @(
            @{
                Title   = 'Back the flash up before a risky change'
                Code    = 'Connect-Stm32 COM3 | Read-Stm32Memory -OutFile ./backup.hex'
                Remarks = 'Reads the whole flash and writes it as Intel HEX. Write-Stm32Firmware -Path ./backup.hex puts it back.'
            }
            @{
                Title   = 'Look at the vector table'
                Code    = 'Read-Stm32Memory -Address 0x08000000 -Length 64'
                Remarks = 'Shows the first 64 bytes of flash as a hex dump: the initial stack pointer, then the reset handler.'
            }
            @{
                Title   = 'Get the raw bytes'
                Code    = '$bytes = (Read-Stm32Memory 0x1FFFF7E8 12).Bytes'
                Remarks = 'Reads the 96-bit unique ID of an STM32F1 as a byte array.'
            }
        )
        Links       = @('Export-Stm32Firmware', 'Write-Stm32Firmware', 'Test-Stm32Firmware', 'about_Stm32')
    }

    'Test-Stm32Firmware' = @{
        Synopsis    = 'Compares the chip''s memory with a firmware file or image.'
        Description = @'
Test-Stm32Firmware reads back every address the image holds and compares. It returns a Stm32CompareResult (Matches, FirstDifference and FirstDifferenceHex, DifferingBytes, ComparedBytes, Path, Sha256, Session), or with -Quiet only $true or $false. It never writes.

The file is read and checked against the device's memory map first, as Write-Stm32Firmware does (FileInvalid, ImageOutOfRange). A raw binary is placed at -Address, by default the flash start.
'@
        Parameters  = @{
            Path        = 'The firmware file. Wildcards are allowed but must match exactly one file.'
            LiteralPath = 'The firmware file, taken literally (no wildcards).'
            Image       = 'A firmware image from Import-Stm32Firmware, by value or from an Image property.'
            Format      = 'Auto (the default: from the extension, else the content), IntelHex, SRecord, Elf or Binary.'
            Address     = 'Where a raw binary starts. Default: the flash start of the device. Refused (AddressNotApplicable) for Intel HEX, S-record and ELF files, which carry their own addresses.'
            Quiet       = 'Returns only $true (the chip holds the image) or $false.'
            Session     = 'The session whose chip to check: from Connect-Stm32, Get-Stm32Session or any object with a Session property.'
            SessionId   = 'The Id of the session (Get-Stm32Session lists them).'
        }
        Defaults    = @{ Format = 'Auto'; Address = 'the flash start' }
        Inputs      = @(
            @{ Type = 'Stm32.PowerShell.Stm32Session'; Description = 'A session, by value or from a Session property.' }
            @{ Type = 'Stm32.Protocol.Firmware.FirmwareImage'; Description = 'An image, by value or from an Image property.' }
        )
        Outputs     = @(
            @{ Type = 'Stm32.PowerShell.Stm32CompareResult'; Description = 'Matches, FirstDifference, FirstDifferenceHex, DifferingBytes, ComparedBytes, Path, Sha256, Session.' }
            @{ Type = 'System.Boolean'; Description = 'With -Quiet.' }
        )
        Examples    = @(
            @{
                Title   = 'Is app.hex on the chip?'
                Code    = 'Connect-Stm32 /dev/ttyUSB0 | Test-Stm32Firmware -Path ./app.hex'
                Remarks = 'Shows Matches, the first differing address and how many bytes differ.'
            }
            @{
                Title   = 'Flash only when needed'
                Code    = 'if (-not (Test-Stm32Firmware ./app.hex -Quiet)) { Write-Stm32Firmware ./app.hex -Verify }'
                Remarks = 'Uses the single open session.'
            }
        )
        Links       = @('Write-Stm32Firmware', 'Import-Stm32Firmware', 'about_Stm32')
    }

    'Start-Stm32Application' = @{
        Synopsis    = 'Starts the program in flash (the bootloader''s Go command).'
        Description = @'
Start-Stm32Application sends Go with the address of a vector table, by default the flash start: the chip loads the stack pointer and jumps to the reset handler found there. The bootloader then stops listening, so the session's InBootloader becomes False and cmdlets that talk to the bootloader refuse it (NotInBootloader). To program the chip again, reset it with BOOT0 high and connect again.

With -Reset it does not send Go: it runs the session's exit sequence on DTR/RTS (BOOT0 low, then a RESET pulse; see Connect-Stm32 -EnterBootloader and -BootSequence), so the chip boots its application exactly as after pressing the reset button, peripherals in their reset state.

The session comes from the pipeline (for example the result of Write-Stm32Firmware), from -SessionId, or is the single open session.
'@
        Parameters  = @{
            Address   = 'The address of the program''s vector table. Default: the flash start. An address not on a 4-byte boundary (such as a Thumb code address, which is odd), or one outside the flash and the RAM the bootloader leaves free, is refused with the error AddressOutOfRange before anything is sent.'
            Reset     = 'Resets the chip into its application with the session''s exit sequence (DTR/RTS) instead of sending Go. The session must have been connected with -EnterBootloader, -ResetLine or -BootSequence ''entry:exit''; otherwise the error NoExitSequence.'
            PassThru  = 'Returns the session.'
            Session   = 'The session: from Connect-Stm32, Get-Stm32Session or any object with a Session property (Write-Stm32Firmware output).'
            SessionId = 'The Id of the session (Get-Stm32Session lists them).'
        }
        Defaults    = @{ Address = 'the flash start' }
        Inputs      = @(
            @{ Type = 'Stm32.PowerShell.Stm32Session'; Description = 'A session, by value or from a Session property.' }
        )
        Outputs     = @(
            @{ Type = 'None'; Description = 'Nothing, unless -PassThru is given.' }
            @{ Type = 'Stm32.PowerShell.Stm32Session'; Description = 'With -PassThru: the session (InBootloader is then False).' }
        )
        Notes       = 'ConfirmImpact is Medium: it does not prompt by default; -WhatIf sends nothing. A read-protected chip refuses Go.'
        Examples    = @(
            @{
                Title   = 'Flash, then run'
                Code    = 'Connect-Stm32 /dev/ttyUSB0 | Write-Stm32Firmware ./app.hex -Verify | Start-Stm32Application'
                Remarks = 'The write result carries the session, which Start-Stm32Application takes by property name.'
            }
            @{
                Title   = 'Run a program loaded into RAM'
                Code    = 'Start-Stm32Application -Address 0x20001000 -PassThru'
                Remarks = 'Jumps to the vector table at 0x20001000 and returns the session.'
            }
            @{
                Title   = 'Leave the bootloader through the reset line'
                Code    = 'Connect-Stm32 /dev/ttyUSB0 -EnterBootloader | Write-Stm32Firmware ./app.hex -Verify | Start-Stm32Application -Reset'
                Remarks = 'DTR drives RESET and RTS drives BOOT0 (the usual wiring): the exit sequence pulls BOOT0 low and pulses RESET, and the chip boots from flash.'
            }
        )
        Links       = @('Write-Stm32Firmware', 'Connect-Stm32', 'about_Stm32')
    }

    # ------------------------------------------------------------------ ports and served simulators (issue 5)

    'Get-Stm32Port' = @{
        Synopsis    = 'Lists the serial ports present, with what the operating system knows about each.'
        Description = @'
Get-Stm32Port lists the serial ports of this machine. On Linux it reads /sys/class/tty (ports with hardware behind them; the placeholder ttyS ports of the platform bus are left out, as pseudo-terminals are) and /dev/serial/by-id: the driver, the bus, and for USB adapters the vendor and product ids, manufacturer, product, serial number, interface and a stable by-id path that survives replugging. On Windows it reads the registry: the ports in HARDWARE\DEVICEMAP\SERIALCOMM (the list SerialPort.GetPortNames() gives), each described from its device under SYSTEM\CurrentControlSet\Enum: the driver (service), the bus, the friendly name, the manufacturer, the USB vendor and product ids, the serial number (an interface of a composite device, such as an ST-LINK's virtual COM port, takes its parent's) and the device instance ID (DeviceId). On macOS it lists the names SerialPort.GetPortNames() returns.

Each object has a Port property, so Get-Stm32Port | Connect-Stm32 binds it by property name. The -Port completer of Connect-Stm32 offers the same ports, with their descriptions as tooltips.
'@
        Parameters  = @{
            Name = 'Filters by port, kernel name, by-id path, manufacturer, product, serial number or (Windows) device instance ID; wildcards are allowed. A name without wildcards is taken as Connect-Stm32 takes it (on Windows com12, COM12: and \\.\COM12 are COM12); one that matches nothing gives the error PortNotFound.'
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
                Skip    = 'needs a USB serial adapter that the kernel names ttyUSB0'
            }
        )
        Links       = @('Connect-Stm32', 'about_Stm32')
    }

    'Start-Stm32Simulator' = @{
        Synopsis    = 'Serves a simulated STM32 bootloader to any client (stm32flash, another PowerShell) on a pseudo-terminal, a TCP port or a serial port.'
        Description = @'
Start-Stm32Simulator makes one simulated chip and serves it until Ctrl+C, Stop-Job or -TimeoutSec. As soon as it serves, it writes one object with the endpoint (Endpoint, Port, Path, Kind, Device, ProductId, Protocol, Timing, BaudRate, LineSettings) and keeps running: commands later in the pipeline get the object at once, and in a thread job the first Receive-Job returns it.

-PseudoTerminal (Linux) creates a pseudo-terminal and reports the path a client opens like a serial port. A pseudo-terminal carries no parity, so clients use 8N1 (stm32flash -m 8n1, Connect-Stm32 -Parity None); with -Timing Realistic the chip still charges 11 bit times per byte at -BaudRate, as a real 8E1 line would. -Port tcp://127.0.0.1:0 listens on a free TCP port (the endpoint says which) and serves one client at a time, like ser2net: another client that connects meanwhile has its connection accepted and closed at once, which Connect-Stm32 reports as PortBusy ("it serves one client at a time and another has it"), and a client that sends nothing for -IdleTimeoutSec seconds (default 60) while the chip waits for it is dropped, so the next client is served at once; -Port with a serial port name serves on a real port (for example to a board programmer at the other end of a null-modem cable).

The chip keeps its state across clients, as a board on the desk does: a second client finds it still synchronised and its flash written. -Image loads a firmware file (bin at the start of flash, hex, srec, elf) before serving.
'@
        Parameters  = @{
            Device = 'The chip to simulate: a product ID (0x410, 0x413), a catalog name or a part number one row covers (STM32F103C8; Get-Stm32Device lists them). A part number that several rows may be (STM32F103) is the error DeviceNotFound listing them. Tab completion offers the product IDs and names of the rows with a memory map.'
            Port = 'Where to serve: tcp://<address>:<port> (port 0 picks a free one; tcp://0.0.0.0:3333 serves other machines) or a serial port (/dev/ttyUSB1, COM4).'
            PseudoTerminal = 'Creates a Linux pseudo-terminal and serves on it; the endpoint object''s Path is what clients open (8N1).'
            Timing = 'Realistic (the default): every byte costs 11 bit times at -BaudRate and erase and program take the family''s typical time. Instant: no delays.'
            BaudRate = 'The line rate the realistic timing uses, and the rate of a served serial port. Default: 115200.'
            Protocol = 'The bootloader version the chip reports: 2.2, 3.1, 3.3 or 4.0 (the versions sim://...?protocol= takes; tab completion offers them). Default: the family''s own (2.2 on F0/F1, 3.1 later).'
            Image = 'A firmware file to start with: raw binary (placed at the start of flash), Intel HEX, S-record or ELF, taken literally (no wildcards). One that is missing or cannot be read is the error FileNotFound naming it, as for Write-Stm32Firmware; data outside the chip''s memory is ImageOutOfRange.'
            TimeoutSec = 'Stops serving after this many seconds. 0 (the default) serves until Ctrl+C or Stop-Job.'
            IdleTimeoutSec = 'TCP: drops a client that sends nothing for this many seconds while the chip waits for it (time the chip spends on a command, an erase say, does not count), so one idle client cannot hold the chip for everyone else. 0 never drops one. Default: 60.'
            Parity = 'The parity of a served serial port: Even (the bootloader''s 8E1, the default), None or Odd. Not used on pseudo-terminals and TCP.'
        }
        Defaults    = @{ Timing = 'Realistic'; BaudRate = '115200'; TimeoutSec = '0'; IdleTimeoutSec = '60'; Parity = 'Even' }
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
do { Start-Sleep -Milliseconds 50; $sim = Receive-Job $job -ErrorAction Stop } until ($sim -or $job.State -notin 'NotStarted', 'Running')
if (-not $sim) { Receive-Job $job -ErrorAction Stop; throw "The simulator ended without serving ($($job.State))." }
stm32flash -m 8n1 -w ./app.bin -v $sim.Path
if ($LASTEXITCODE) { throw "stm32flash failed ($LASTEXITCODE)." }
Remove-Job $job -Force
'@
                Remarks = 'The thread job writes the endpoint as soon as it serves; stm32flash opens the pseudo-terminal with 8N1. The loop ends with the simulator''s error when the job fails (Receive-Job -ErrorAction Stop), and when it ends without serving, instead of waiting for ever. Remove-Job -Force stops serving.'
                Needs   = @('Linux', 'stm32flash')
            }
            @{
                Title   = 'Serve on TCP and connect from this session'
                Code    = @'
$job = Start-ThreadJob { Start-Stm32Simulator 0x413 tcp://127.0.0.1:0 -Timing Instant }
do { Start-Sleep -Milliseconds 50; $sim = Receive-Job $job -ErrorAction Stop } until ($sim -or $job.State -notin 'NotStarted', 'Running')
if (-not $sim) { Receive-Job $job -ErrorAction Stop; throw "The simulator ended without serving ($($job.State))." }
$sim | Connect-Stm32 | Get-Stm32Info
Get-Stm32Session | Disconnect-Stm32
Remove-Job $job -Force
'@
                Remarks = 'The endpoint object''s Port property binds to Connect-Stm32 -Port. A simulator that cannot start (a device the catalog lacks, a port in use) ends the wait with its error.'
            }
            @{
                Title   = 'A chip that already holds a program, with another bootloader version'
                Code    = 'Start-Stm32Simulator -Device STM32F40xxx/41xxx -Port tcp://127.0.0.1:0 -Protocol 3.3 -Image ./app.hex -TimeoutSec 5 -Verbose'
                Remarks = 'Serves for five seconds (without -TimeoutSec, until Ctrl+C); -Verbose shows the endpoint and how many bytes were loaded.'
            }
        )
        Links       = @('Connect-Stm32', 'Get-Stm32Device', 'about_Stm32')
    }
}
