using System;
using System.Globalization;

namespace Stm32.Protocol.Firmware
{
    /// <summary>
    /// Checks an ELF32 file's header and tables against its length before ELFSharp reads it, and
    /// says what is wrong with the byte offset of the field at fault.
    /// </summary>
    /// <remarks>
    /// ELFSharp reads every section when it opens a file: the section name table, symbol tables
    /// with their names, note and dynamic sections, and every note segment. It allocates what a
    /// header claims before it finds the file shorter (a name table claiming 0x7FFFFFC0 bytes costs
    /// 2 GB) and reports a bad index as IndexOutOfRangeException. So each thing it reads is checked
    /// here first: every table and every section and segment with file bytes lies inside the file,
    /// names and symbol names point inside their string table, notes fit their section or segment.
    /// Real toolchain output passes all of it; anything that fails is damaged.
    /// </remarks>
    internal static class ElfValidator
    {
        private const int HeaderSize = 52;
        private const int ProgramHeaderSize = 32;
        private const int SectionHeaderSize = 40;
        private const int SymbolSize = 16;
        private const int NoteHeaderSize = 12;
        private const ushort EmArm = 40;

        private const uint PtNote = 4;
        private const uint ShtNull = 0;
        private const uint ShtSymtab = 2;
        private const uint ShtStrtab = 3;
        private const uint ShtNote = 7;
        private const uint ShtNobits = 8;
        private const uint ShtDynsym = 11;
        private const uint ShnXindex = 0xFFFF;

        /// <summary>Throws <see cref="FirmwareFormatException"/> naming the byte offset of what is wrong.</summary>
        public static void Validate(byte[] c, string? path)
        {
            CheckIdentification(c, path);
            CheckProgramHeaders(c, path);
            CheckSections(c, path);
        }

        private static void CheckIdentification(byte[] c, string? path)
        {
            if (c.Length < 4 || c[0] != 0x7F || c[1] != (byte)'E' || c[2] != (byte)'L' || c[3] != (byte)'F')
                throw Error(path, 0, "not an ELF file (it does not start with 0x7F 'E' 'L' 'F')");
            if (c.Length < HeaderSize)
                throw Error(path, c.Length, Format("truncated: {0} bytes, too short for the 52-byte ELF header", c.Length));
            if (c[4] != 1)
                throw Error(path, 4, c[4] == 2 ? "a 64-bit ELF file; only 32-bit ARM ELF is supported"
                    : Format("unknown ELF class {0}; only 32-bit ARM ELF is supported", c[4]));
            if (c[5] != 1)
                throw Error(path, 5, c[5] == 2 ? "a big-endian ELF file; only little-endian ARM ELF is supported"
                    : Format("unknown ELF data encoding {0}; only little-endian ARM ELF is supported", c[5]));
            ushort machine = U16(c, 18);
            if (machine != EmArm)
                throw Error(path, 18, Format("machine {0} is not ARM (40); only 32-bit little-endian ARM ELF is supported", machine));
            uint version = U32(c, 20);
            if (version != 1)
                throw Error(path, 20, Format("ELF version {0} in e_version; the only ELF version is 1", version));
        }

        private static void CheckProgramHeaders(byte[] c, string? path)
        {
            uint phoff = U32(c, 28);
            ushort phentsize = U16(c, 42);
            ushort phnum = U16(c, 44);
            if (phnum == 0)
                throw Error(path, 44, "the ELF file has no program headers, so nothing to load (an object file, not a linked program?)");
            if (phentsize < ProgramHeaderSize)
                throw Error(path, 42, Format("program header entries of {0} bytes; ELF32 needs 32", phentsize));
            if ((ulong)phoff + (ulong)phnum * phentsize > (ulong)c.Length)
                throw Error(path, phoff, Format("truncated: the program header table ({0} entries at offset 0x{1:X}) runs past the end of the file ({2} bytes)", phnum, phoff, c.Length));

            for (int i = 0; i < phnum; i++)
            {
                int h = (int)phoff + i * phentsize;
                uint type = U32(c, h);
                uint offset = U32(c, h + 4);
                uint filesz = U32(c, h + 16);
                string what = Format("program header {0} (segment at file offset 0x{1:X}, {2} bytes)", i, offset, filesz);
                if (filesz != 0 && (ulong)offset + filesz > (ulong)c.Length)
                    throw Error(path, h, Format("truncated: {0} runs past the end of the file ({1} bytes)", what, c.Length));
                if (type == PtNote) CheckNotes(c, path, h, offset, filesz, what);
            }
        }

        /// <summary>The section header table, each section's bytes, the name tables and what ELFSharp reads of each kind of section.</summary>
        private static void CheckSections(byte[] c, string? path)
        {
            uint shoff = U32(c, 32);
            ushort shentsize = U16(c, 46);
            uint count = U16(c, 48);
            uint nameTable = U16(c, 50);
            if (shoff == 0)
            {
                // No section header table (gABI): then there are no sections and no name table.
                if (count != 0)
                    throw Error(path, 48, Format("e_shnum says there are {0} sections, but e_shoff is 0 (no section header table)", count));
                if (nameTable != 0)
                    throw Error(path, 50, Format("e_shstrndx names section {0} as the section name table, but e_shoff is 0 (no section header table)", nameTable));
                return;
            }
            if (shentsize < SectionHeaderSize)
                throw Error(path, 46, Format("section header entries of {0} bytes; ELF32 needs 40", shentsize));
            if ((ulong)shoff + SectionHeaderSize > (ulong)c.Length)
                throw Error(path, shoff, Format("truncated: the section header table at offset 0x{0:X} starts past the end of the file ({1} bytes)", shoff, c.Length));
            string counted = "e_shnum";
            if (count == 0)
            {
                // Extended numbering (gABI): 0 in e_shnum means section 0's sh_size holds the count,
                // and SHN_XINDEX in e_shstrndx means its sh_link holds the name table's index.
                count = U32(c, (int)shoff + 20);
                counted = "section 0's sh_size, as e_shnum is 0";
                if (nameTable == ShnXindex) nameTable = U32(c, (int)shoff + 24);
            }
            if ((ulong)shoff + (ulong)count * shentsize > (ulong)c.Length)
                throw Error(path, shoff, Format("truncated: the section header table ({0} entries, from {1}, at offset 0x{2:X}) runs past the end of the file ({3} bytes)", count, counted, shoff, c.Length));

            int At(uint index) => (int)(shoff + index * shentsize);
            uint Type(uint index) => U32(c, At(index) + 4);
            uint Offset(uint index) => U32(c, At(index) + 16);
            uint Size(uint index) => U32(c, At(index) + 20);

            for (uint i = 0; i < count; i++)
            {
                uint type = Type(i), offset = Offset(i), size = Size(i);
                // Even an empty section must start inside the file: ELFSharp seeks to it.
                if (type != ShtNull && type != ShtNobits && (ulong)offset + size > (ulong)c.Length)
                    throw Error(path, At(i), size == 0
                        ? Format("section {0} (empty) starts at file offset 0x{1:X}, past the end of the file ({2} bytes)", i, offset, c.Length)
                        : Format("truncated: section {0} claims {1} bytes at file offset 0x{2:X}, past the end of the file ({3} bytes)", i, size, offset, c.Length));
            }

            bool named = nameTable != 0;
            if (named)
            {
                if (nameTable >= count)
                    throw Error(path, 50, Format("e_shstrndx names section {0} as the section name table, but there are only {1} sections ({2})", nameTable, count, counted));
                if (Type(nameTable) != ShtStrtab)
                    throw Error(path, At(nameTable) + 4, Format("section {0}, the section name table (e_shstrndx), is of type {1}, not a string table (3)", nameTable, Type(nameTable)));
            }

            // ELFSharp finds the symbol tables' string tables by name, and only a name used once.
            long strtab = -1, dynstr = -1;
            int strtabSeen = 0, dynstrSeen = 0;
            for (uint i = 0; i < count && named; i++)
            {
                uint name = U32(c, At(i));
                CheckString(c, path, At(i), name, Offset(nameTable), Size(nameTable), Format("the name of section {0}", i), "the section name table");
                if (NameIs(c, Offset(nameTable) + name, ".strtab")) { strtab = i; strtabSeen++; }
                if (NameIs(c, Offset(nameTable) + name, ".dynstr")) { dynstr = i; dynstrSeen++; }
            }
            if (strtabSeen != 1) strtab = -1;
            if (dynstrSeen != 1 || (dynstr >= 0 && Type((uint)dynstr) != ShtStrtab)) dynstr = -1;
            if (strtab >= 0 && Type((uint)strtab) != ShtStrtab)
                throw Error(path, At((uint)strtab) + 4, Format("section {0} is named .strtab but is of type {1}, not a string table (3)", strtab, Type((uint)strtab)));

            for (uint i = 0; i < count; i++)
            {
                uint type = Type(i), offset = Offset(i), size = Size(i);
                if (type == ShtSymtab || type == ShtDynsym)
                {
                    if (size % SymbolSize != 0)
                        throw Error(path, At(i) + 20, Format("symbol table section {0} holds {1} bytes, not a whole number of 16-byte symbols", i, size));
                    long names = type == ShtSymtab ? strtab : dynstr;
                    if (names < 0) continue;
                    for (uint s = 0; s < size / SymbolSize; s++)
                    {
                        int at = (int)(offset + s * SymbolSize);
                        CheckString(c, path, at, U32(c, at), Offset((uint)names), Size((uint)names),
                            Format("the name of symbol {0} in section {1}", s, i), Format("its string table (section {0})", names));
                    }
                }
                else if (type == ShtNote)
                    CheckNotes(c, path, At(i), offset, size, Format("note section {0} (at file offset 0x{1:X}, {2} bytes)", i, offset, size));
            }
        }

        /// <summary>
        /// A string at <paramref name="index"/> in a string table: index 0 is the empty name;
        /// any other must lie inside the table and end with a NUL inside it.
        /// </summary>
        private static void CheckString(byte[] c, string? path, long fieldOffset, uint index, uint tableOffset, uint tableSize, string what, string table)
        {
            if (index == 0) return;
            if (index >= tableSize)
                throw Error(path, fieldOffset, Format("{0} is at offset {1} of {2}, which holds only {3} bytes", what, index, table, tableSize));
            if (Array.IndexOf(c, (byte)0, (int)(tableOffset + index), (int)(tableSize - index)) < 0)
                throw Error(path, fieldOffset, Format("{0} (offset {1} of {2}) has no terminating NUL before the table ends", what, index, table));
        }

        private static bool NameIs(byte[] c, uint at, string name)
        {
            if ((ulong)at + (ulong)name.Length + 1 > (ulong)c.Length) return false;
            for (int k = 0; k < name.Length; k++) if (c[at + k] != name[k]) return false;
            return c[at + name.Length] == 0;
        }

        /// <summary>
        /// The notes of a note section or segment, each a 12-byte header (name size, description
        /// size, type) and the 4-byte-aligned name and description, must fit in it; a few bytes of
        /// padding after the last note are fine. ELFSharp reads the first note whatever the size
        /// says, so a size too small for one is refused too.
        /// </summary>
        private static void CheckNotes(byte[] c, string? path, long headerOffset, uint offset, uint size, string what)
        {
            if (size < NoteHeaderSize)
                throw Error(path, headerOffset, Format("{0} is too small to hold a note (a note header is 12 bytes)", what));
            ulong at = offset;
            ulong remaining = size;
            do
            {
                uint nameSize = U32(c, (int)at);
                uint descriptionSize = U32(c, (int)at + 4);
                ulong noteSize = NoteHeaderSize + Align4(nameSize) + Align4(descriptionSize);
                if (noteSize > remaining)
                    throw Error(path, (long)at, Format("{0}: the note at file offset 0x{1:X} (a {2}-byte name and a {3}-byte description) runs past its end",
                        what, at, nameSize, descriptionSize));
                at += noteSize;
                remaining -= noteSize;
            } while (remaining > NoteHeaderSize);
        }

        private static ulong Align4(uint n) => ((ulong)n + 3) & ~3UL;

        internal static ushort U16(byte[] c, int at) => (ushort)(c[at] | (c[at + 1] << 8));

        internal static uint U32(byte[] c, int at) => (uint)(c[at] | (c[at + 1] << 8) | (c[at + 2] << 16) | (c[at + 3] << 24));

        private static string Format(string format, params object[] args) => string.Format(CultureInfo.InvariantCulture, format, args);

        private static FirmwareFormatException Error(string? path, long offset, string problem)
            => new FirmwareFormatException(path, null, offset, problem);
    }
}
