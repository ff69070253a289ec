//! Attribute words of the metadata tables (ECMA-335 II.23.1).

use bitflags::bitflags;

bitflags! {
    /// II.23.1.15
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct TypeAttributes: u32 {
        const VISIBILITY_MASK = 0x0000_0007;
        const NOT_PUBLIC = 0x0000_0000;
        const PUBLIC = 0x0000_0001;
        const NESTED_PUBLIC = 0x0000_0002;
        const NESTED_PRIVATE = 0x0000_0003;
        const NESTED_FAMILY = 0x0000_0004;
        const NESTED_ASSEMBLY = 0x0000_0005;
        const NESTED_FAM_AND_ASSEM = 0x0000_0006;
        const NESTED_FAM_OR_ASSEM = 0x0000_0007;
        const LAYOUT_MASK = 0x0000_0018;
        const SEQUENTIAL_LAYOUT = 0x0000_0008;
        const EXPLICIT_LAYOUT = 0x0000_0010;
        const INTERFACE = 0x0000_0020;
        const ABSTRACT = 0x0000_0080;
        const SEALED = 0x0000_0100;
        const SPECIAL_NAME = 0x0000_0400;
        const IMPORT = 0x0000_1000;
        const SERIALIZABLE = 0x0000_2000;
        const STRING_FORMAT_MASK = 0x0003_0000;
        const BEFORE_FIELD_INIT = 0x0010_0000;
        const RT_SPECIAL_NAME = 0x0000_0800;
        const HAS_SECURITY = 0x0004_0000;
        const IS_TYPE_FORWARDER = 0x0020_0000;
        const _ = !0;
    }

    /// II.23.1.10
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct MethodAttributes: u16 {
        const MEMBER_ACCESS_MASK = 0x0007;
        const PRIVATE_SCOPE = 0x0000;
        const PRIVATE = 0x0001;
        const FAM_AND_ASSEM = 0x0002;
        const ASSEMBLY = 0x0003;
        const FAMILY = 0x0004;
        const FAM_OR_ASSEM = 0x0005;
        const PUBLIC = 0x0006;
        const STATIC = 0x0010;
        const FINAL = 0x0020;
        const VIRTUAL = 0x0040;
        const HIDE_BY_SIG = 0x0080;
        const NEW_SLOT = 0x0100;
        const STRICT = 0x0200;
        const ABSTRACT = 0x0400;
        const SPECIAL_NAME = 0x0800;
        const PINVOKE_IMPL = 0x2000;
        const UNMANAGED_EXPORT = 0x0008;
        const RT_SPECIAL_NAME = 0x1000;
        const HAS_SECURITY = 0x4000;
        const REQUIRE_SEC_OBJECT = 0x8000;
        const _ = !0;
    }

    /// II.23.1.5
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct FieldAttributes: u16 {
        const FIELD_ACCESS_MASK = 0x0007;
        const PUBLIC = 0x0006;
        const STATIC = 0x0010;
        const INIT_ONLY = 0x0020;
        const LITERAL = 0x0040;
        const NOT_SERIALIZED = 0x0080;
        const SPECIAL_NAME = 0x0200;
        const PINVOKE_IMPL = 0x2000;
        const RT_SPECIAL_NAME = 0x0400;
        const HAS_FIELD_MARSHAL = 0x1000;
        const HAS_DEFAULT = 0x8000;
        const HAS_FIELD_RVA = 0x0100;
        const _ = !0;
    }

    /// II.23.1.13
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct ParamAttributes: u16 {
        const IN = 0x0001;
        const OUT = 0x0002;
        const OPTIONAL = 0x0010;
        const HAS_DEFAULT = 0x1000;
        const HAS_FIELD_MARSHAL = 0x2000;
        const _ = !0;
    }

    /// II.23.1.14
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct PropertyAttributes: u16 {
        const SPECIAL_NAME = 0x0200;
        const RT_SPECIAL_NAME = 0x0400;
        const HAS_DEFAULT = 0x1000;
        const _ = !0;
    }

    /// II.23.1.4
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct EventAttributes: u16 {
        const SPECIAL_NAME = 0x0200;
        const RT_SPECIAL_NAME = 0x0400;
        const _ = !0;
    }

    /// II.23.1.12
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct MethodSemanticsAttributes: u16 {
        const SETTER = 0x0001;
        const GETTER = 0x0002;
        const OTHER = 0x0004;
        const ADD_ON = 0x0008;
        const REMOVE_ON = 0x0010;
        const FIRE = 0x0020;
        const _ = !0;
    }

    /// II.23.1.7
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct GenericParamAttributes: u16 {
        const VARIANCE_MASK = 0x0003;
        const COVARIANT = 0x0001;
        const CONTRAVARIANT = 0x0002;
        const SPECIAL_CONSTRAINT_MASK = 0x001C;
        const REFERENCE_TYPE_CONSTRAINT = 0x0004;
        const NOT_NULLABLE_VALUE_TYPE_CONSTRAINT = 0x0008;
        const DEFAULT_CONSTRUCTOR_CONSTRAINT = 0x0010;
        /// `allows ref struct` (C# 13).
        const ALLOW_BY_REF_LIKE = 0x0020;
        const _ = !0;
    }

    /// II.23.1.11
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct MethodImplAttributes: u16 {
        const CODE_TYPE_MASK = 0x0003;
        const UNMANAGED = 0x0004;
        const NO_INLINING = 0x0008;
        const FORWARD_REF = 0x0010;
        const SYNCHRONIZED = 0x0020;
        const NO_OPTIMIZATION = 0x0040;
        const PRESERVE_SIG = 0x0080;
        const AGGRESSIVE_INLINING = 0x0100;
        const INTERNAL_CALL = 0x1000;
        const _ = !0;
    }

    /// II.23.1.2
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct AssemblyFlags: u32 {
        const PUBLIC_KEY = 0x0001;
        const RETARGETABLE = 0x0100;
        const WINDOWS_RUNTIME = 0x0200;
        const DISABLE_JIT_COMPILE_OPTIMIZER = 0x4000;
        const ENABLE_JIT_COMPILE_TRACKING = 0x8000;
        const _ = !0;
    }
}

impl TypeAttributes {
    pub fn visibility(self) -> u32 {
        self.bits() & Self::VISIBILITY_MASK.bits()
    }
}

impl MethodAttributes {
    pub fn access(self) -> u16 {
        self.bits() & Self::MEMBER_ACCESS_MASK.bits()
    }
    pub fn is_public(self) -> bool {
        self.access() == Self::PUBLIC.bits()
    }
}

impl FieldAttributes {
    pub fn access(self) -> u16 {
        self.bits() & Self::FIELD_ACCESS_MASK.bits()
    }
    pub fn is_public(self) -> bool {
        self.access() == Self::PUBLIC.bits()
    }
}
